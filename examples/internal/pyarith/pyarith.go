// Package pyarith gives the seeds' error-handling examples Python's true
// division, 10 / x, with the two exceptions it raises there as Go error
// types, and prints floats as Python does.
package pyarith

import (
	"fmt"
	"strconv"
	"strings"
)

// ZeroDivisionError is Python's ZeroDivisionError.
type ZeroDivisionError struct{}

func (ZeroDivisionError) Error() string { return "division by zero" }

// TypeError is Python's TypeError for an operand / does not accept.
type TypeError struct{ Left, Right any }

func (e TypeError) Error() string {
	return fmt.Sprintf("unsupported operand type(s) for /: '%s' and '%s'", typeName(e.Left), typeName(e.Right))
}

func typeName(v any) string {
	switch v.(type) {
	case int:
		return "int"
	case string:
		return "str"
	case float64:
		return "float"
	}
	return fmt.Sprintf("%T", v)
}

// Float prints as Python prints a float: 10.0, 3.3333333333333335.
type Float float64

func (f Float) String() string {
	s := strconv.FormatFloat(float64(f), 'g', -1, 64)
	if !strings.ContainsAny(s, ".eInN") {
		s += ".0"
	}
	return s
}

// Div is Python's a / b: true division, or the exception Python raises.
func Div(a int, b any) (Float, error) {
	n, ok := b.(int)
	switch {
	case !ok:
		return 0, TypeError{a, b}
	case n == 0:
		return 0, ZeroDivisionError{}
	}
	return Float(float64(a) / float64(n)), nil
}
