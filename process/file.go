package process

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
)

// File is an open file that travels to a child process inside an
// argument: the seeds' "shared file descriptors". The child receives the
// same open file description — the same offset, the same pipe or socket —
// as an inherited descriptor, not a copy of the data or a path to reopen:
//
//	r, w, _ := os.Pipe()
//	p := process.New(Report, process.File{File: w})
//	p.Start()
//	w.Close() // the child has its own descriptor now
//
// In the child, arg.File is an *os.File that the function owns and should
// close. The parent's *os.File must stay open until Start returns; the
// two descriptors are independent afterwards. A nil File travels as nil.
//
// A File also travels inside a Conn message (Conn.Send), where the
// descriptor goes along as SCM_RIGHTS data. A function's result cannot
// carry one.
type File struct {
	*os.File
}

// GobEncode records the file in the message being encoded; it fails with
// ErrNotInMessage outside a concur message, where the descriptor could
// not follow.
func (f File) GobEncode() ([]byte, error) {
	if f.File == nil {
		return nil, nil
	}
	i, err := exportFile(f.File)
	if err != nil {
		return nil, err
	}
	return binary.AppendUvarint(nil, uint64(i)), nil
}

// GobDecode claims the file the message carries for f.
func (f *File) GobDecode(data []byte) error {
	if len(data) == 0 {
		f.File = nil
		return nil
	}
	i, n := binary.Uvarint(data)
	if n != len(data) || i > math.MaxInt32 {
		return errors.New("process: malformed File reference")
	}
	file, err := importFile(int(i))
	if err != nil {
		return err
	}
	f.File = file
	return nil
}
