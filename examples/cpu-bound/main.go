// Command cpu-bound is the Go twin of the CPU-bound illustrations of seed
// 001_2345feefc5625c48.txt, section "CPU bound" (Примеры CPU операций):
// arithmetic and logic, loops, conditions, a function, sorting and
// searching, an image filter, scientific computing and encryption — work
// whose speed depends on the processor, not on waiting.
//
// The seed's image, numpy and cryptography lines use PIL, numpy and
// cryptography.fernet; here the standard library does the same: image
// with a box blur written out, math.Sin over a slice, AES-GCM (Fernet is
// AES with an HMAC; GCM authenticates too). The machine-learning line
// (scikit-learn's RandomForestClassifier on iris) has no standard-library
// counterpart and is left out; it is CPU-bound work of the same kind.
//
// What the section teaches about such work — in Python, threads do not
// speed it up, because of the GIL, and processes do — does not hold in
// Go, where threads run on every core: see process-countdown and the
// countdown rows of `concur bench`.
package main

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log"
	"math"
	"os"
	"slices"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// square is the seed's def square(x): return x ** 2.
func square(x int) int { return x * x }

func run(w io.Writer) error {
	// Арифметические и логические операции
	result := float64((3+4)*5) / 2
	isTrue := 5 > 3 && 2 < 4
	fmt.Fprintln(w, result, pyBool(isTrue))

	// Циклы: for, then while (Go's for with a condition)
	for i := range 10 {
		fmt.Fprintln(w, i)
	}
	i := 0
	for i < 10 {
		fmt.Fprintln(w, i)
		i++
	}

	// Условные операторы
	x := 10
	switch {
	case x > 5:
		fmt.Fprintln(w, "x больше 5")
	case x < 5:
		fmt.Fprintln(w, "x меньше 5")
	default:
		fmt.Fprintln(w, "x равно 5")
	}

	// Функции
	fmt.Fprintln(w, square(5))

	// Обработка данных: сортировка и поиск
	numbers := []int{5, 2, 3, 1, 4}
	slices.Sort(numbers)
	index := slices.Index(numbers, 3)
	fmt.Fprintln(w, numbers, index)

	// Обработка изображений: open, blur, save
	img := blur(gradient(64, 64))
	f, err := os.Create("blurred_image.jpg")
	if err != nil {
		return err
	}
	if err := jpeg.Encode(f, img, nil); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(w, "blurred_image.jpg: %dx%d\n", img.Bounds().Dx(), img.Bounds().Dy())

	// Научные вычисления: y = np.sin(x)
	xs := []float64{1, 2, 3, 4, 5}
	ys := make([]float64, len(xs))
	for i, v := range xs {
		ys[i] = math.Sin(v)
	}
	fmt.Fprintf(w, "%.8f\n", ys)

	// Криптография: key, cipher, encrypt (and decrypt, to show it worked)
	key := make([]byte, 32)
	rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return err
	}
	message := []byte("Hello, World!")
	encrypted := aead.Seal(nil, nil, message, nil)
	decrypted, err := aead.Open(nil, nil, encrypted, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "encrypted %d bytes into %d; decrypted: %s\n", len(message), len(encrypted), decrypted)
	return nil
}

// pyBool prints a bool as Python does.
func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// gradient stands in for the seed's image.jpg.
func gradient(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{Y: uint8((x + y) * 255 / (w + h - 2))})
		}
	}
	return img
}

// blur is PIL's ImageFilter.BLUR in spirit: each pixel becomes the mean of
// its 3×3 neighbourhood (edges clamped).
func blur(src *image.Gray) *image.Gray {
	b := src.Bounds()
	dst := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			sum := 0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					px := min(max(x+dx, b.Min.X), b.Max.X-1)
					py := min(max(y+dy, b.Min.Y), b.Max.Y-1)
					sum += int(src.GrayAt(px, py).Y)
				}
			}
			dst.SetGray(x, y, color.Gray{Y: uint8(sum / 9)})
		}
	}
	return dst
}
