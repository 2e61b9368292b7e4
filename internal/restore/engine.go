package restore

import (
	"context"
	"errors"
)

// Engine loads artifacts by executing their statements itself, over
// Parallel connections to the test server, instead of piping them into one
// client process. See Load.
type Engine struct {
	// Parallel is the number of connections; 0 picks DefaultParallel for
	// the server.
	Parallel int
}

// Load has Loader.Load's contract.
func (e *Engine) Load(ctx context.Context, artifact, compression string, t Target, opt LoadOptions) (*LoadResult, error) {
	return &LoadResult{}, errors.New("restore engine: not implemented yet")
}
