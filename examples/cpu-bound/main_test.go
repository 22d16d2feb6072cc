package main

import (
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/concurgo/concur/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	res := exampletest.Run(t)
	var loop strings.Builder
	for range 2 {
		for i := range 10 {
			loop.WriteString(string(rune('0'+i)) + "\n")
		}
	}
	want := "17.5 True\n" + loop.String() + `x больше 5
25
[1 2 3 4 5] 2
blurred_image.jpg: 64x64
[0.84147098 0.90929743 0.14112001 -0.75680250 -0.95892427]
encrypted 13 bytes into 41; decrypted: Hello, World!
`
	if res.Stdout != want {
		t.Errorf("output:\n%s\nwant:\n%s", res.Stdout, want)
	}
	f, err := os.Open(filepath.Join(res.Dir, "blurred_image.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := jpeg.Decode(f); err != nil {
		t.Errorf("blurred_image.jpg: %v", err)
	}
}

func TestBlurAveragesNeighbours(t *testing.T) {
	img := gradient(3, 3) // 0 63 127 / 63 127 191 / 127 191 255
	if got := blur(img).GrayAt(1, 1).Y; got != 127 {
		t.Errorf("centre pixel %d, want 127, the mean of all nine", got)
	}
}
