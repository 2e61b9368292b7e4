package alert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Sender delivers one event to a receiver. It returns nil once the
// receiver accepted it. An error may be a *SendError saying whether trying
// again can help; any other error counts as worth a retry.
type Sender interface {
	Send(ctx context.Context, ev Event) error
}

// SendError is a failed delivery.
type SendError struct {
	Status     int           // HTTP status; 0 when there was no response
	Permanent  bool          // trying again will not help (e.g. 400, 401, 404)
	RetryAfter time.Duration // the receiver's Retry-After, 0 when it gave none
	Err        error
}

func (e *SendError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("receiver answered %d %s: %v", e.Status, http.StatusText(e.Status), e.Err)
	}
	return e.Err.Error()
}

func (e *SendError) Unwrap() error { return e.Err }

// DefaultTimeout bounds one POST when Webhook.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// Webhook POSTs events to an HTTP(S) URL.
type Webhook struct {
	URL    string
	Format string // FormatJSON (default) or FormatSlack
	// Header and Secret, when Secret is set: the header that carries it,
	// e.g. "Authorization" and "Bearer …". Never logged.
	Header  string
	Secret  string
	Timeout time.Duration // one POST, connection to the end of the answer; 0 = DefaultTimeout
	Client  *http.Client  // nil: a client that follows no redirect
}

var noRedirects = &http.Client{
	// A redirect would carry the secret header to wherever it points, and
	// turn the POST into a GET: refuse it and report it.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Target names the receiver in logs and errors: scheme and host only. The
// path (a Slack webhook's path is its token), query and userinfo are left
// out.
func (w *Webhook) Target() string { return Redact(w.URL) }

// Redact reduces a URL to scheme://host.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparsable webhook URL)"
	}
	return u.Scheme + "://" + u.Host
}

// Send implements Sender.
func (w *Webhook) Send(ctx context.Context, ev Event) error {
	body, err := Render(w.Format, ev)
	if err != nil {
		return &SendError{Permanent: true, Err: err}
	}
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return &SendError{Permanent: true, Err: errors.New("invalid webhook URL " + w.Target())}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "gravedancer-alert/1")
	if w.Secret != "" {
		req.Header.Set(w.Header, w.Secret)
	}
	client := w.Client
	if client == nil {
		client = noRedirects
	}
	resp, err := client.Do(req)
	if err != nil {
		return &SendError{Err: w.scrub(err)}
	}
	defer resp.Body.Close()
	// Read a little of the answer: it explains a refusal and lets the
	// connection be reused.
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	se := &SendError{Status: resp.StatusCode, Err: errors.New(w.answer(snippet))}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		se.RetryAfter = RetryAfter(resp.Header.Get("Retry-After"), time.Now())
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
	default: // 3xx (not followed) and other 4xx: the request itself is wrong
		se.Permanent = true
	}
	return se
}

// scrub rewrites a transport error, whose text quotes the whole URL, to
// name the receiver by scheme and host only.
func (w *Webhook) scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		inner := ue.Err
		if errors.Is(inner, context.DeadlineExceeded) {
			return fmt.Errorf("POST %s: timed out: %w", w.Target(), context.DeadlineExceeded)
		}
		return fmt.Errorf("POST %s: %s", w.Target(), strings.ReplaceAll(inner.Error(), w.URL, w.Target()))
	}
	return errors.New(strings.ReplaceAll(err.Error(), w.URL, w.Target()))
}

// answer quotes the start of a refusal's body; a receiver that echoes the
// request must not make the log carry the secret.
func (w *Webhook) answer(b []byte) string {
	s := string(b)
	if w.Secret != "" {
		s = strings.ReplaceAll(s, w.Secret, "[redacted]")
	}
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "no body"
	}
	if len(s) > 200 {
		s = clipTo(s, 200)
	}
	return "body: " + strconv.Quote(s)
}

// RetryAfter reads a Retry-After header: seconds, or an HTTP date. 0 when
// absent, unreadable or in the past.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
