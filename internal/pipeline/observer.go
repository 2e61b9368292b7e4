package pipeline

import (
	"time"

	"gravedancer/internal/job"
)

// Result is how a delivery of a job to a stage ended.
type Result string

// Results of a delivery.
const (
	ResultDone        Result = "done"        // handed on to the next stage (or announced done)
	ResultRetry       Result = "retry"       // failed; left for redelivery
	ResultExcluded    Result = "excluded"    // dead-lettered: the region left the run
	ResultInterrupted Result = "interrupted" // handed back at shutdown
)

// Delivery is what an Observer learns of one finished delivery.
type Delivery struct {
	Stage, Region, Run string
	Attempt            int // 1 on the first delivery
	Took               time.Duration
	Result             Result
	Reason             string   // exclusion reason (ResultExcluded)
	Job                *job.Job // nil when the message could not be decoded
}

// Observer is told what workers do, for metrics. Calls come from worker
// goroutines and must return at once.
type Observer interface {
	// Started is called when a delivery begins; Finished once it is settled.
	Started(stage string, attempt int)
	Finished(d Delivery)
}

type noObserver struct{}

func (noObserver) Started(string, int) {}
func (noObserver) Finished(Delivery)   {}
