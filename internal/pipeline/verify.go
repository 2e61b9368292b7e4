package pipeline

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/job"
)

// SubmitVerify puts an existing artifact's job on the check stage, so the
// workers re-prove it (check, then restore test) without a new dump. It
// first announces the one-region run, as the plan stage does for a backup,
// so watchers and the reporter know what to wait for. Both publishes carry
// Msg-Ids derived from the run: submitting the same run twice is one job.
func SubmitVerify(ctx context.Context, js jetstream.JetStream, j *job.Job) error {
	if j.Purpose != job.PurposeVerify || j.Artifact == nil || j.Manifest == nil {
		return fmt.Errorf("%w: a verify job needs purpose %q, an artifact and a manifest", job.ErrMalformed, job.PurposeVerify)
	}
	data, _ := json.Marshal(Planned{Run: j.Run, Regions: []string{j.Region}})
	h := nats.Header{}
	h.Set(HdrRun, j.Run)
	if err := publishOnce(ctx, js, EventPlanned, "planned."+j.Run, data, h); err != nil {
		return err
	}
	n := j.Next(job.StageCheck)
	return publishOnce(ctx, js, JobSubject(job.StageCheck, j.Region), msgID(n, job.StageCheck), job.Encode(n), runHeader(j))
}
