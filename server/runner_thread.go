package server

import (
	"context"
	"encoding/json"
	"fmt"
)

// threadRunner runs a registered function in a goroutine.
type threadRunner struct{}

func (threadRunner) run(ctx context.Context, r *record) (json.RawMessage, error) {
	f := lookup(r.Function)
	if f == nil {
		return nil, &JobError{Kind: "unknown", Message: fmt.Sprintf("function %q is not registered on this node", r.Function)}
	}
	return f.call(ctx, r.Args)
}
