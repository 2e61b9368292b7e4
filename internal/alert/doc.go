// Package alert sends gravedancer's own alerts to a webhook
// (GD_ALERT_WEBHOOK): a region excluded from a run, a run that finished
// with exclusions, and a region whose newest verified backup is older than
// GD_STALE_AFTER (stale, then recovered).
//
// Three parts, each small:
//
//   - Event is what happened, in gravedancer's JSON shape; Render turns it
//     into the bytes a receiver gets (FormatJSON, or FormatSlack's
//     {"text": …} payload).
//   - Sender delivers one event. Webhook is the HTTP sender: one POST per
//     event with a timeout, an optional secret header, no redirects, and
//     errors that say whether a retry can help (and when, from
//     Retry-After). Neither the secret nor the URL's path, query or
//     userinfo (all of which may hold a token) is ever logged.
//   - Notifier queues events and delivers them in the background with
//     exponential backoff and bounded attempts. Notify never blocks: when
//     the bounded queue is full the oldest event is dropped, counted and
//     logged, so a dead receiver can never hold up the pipeline.
//
// StaleWatch is the dead-man's switch: it looks at every configured region
// on a ticker, whether or not runs happen, and raises one stale event per
// episode and one recovered event when a verified backup is back. The
// "already alerted" state lives in a JetStream KV bucket (StateBucket),
// updated by compare-and-set, so several processes can run the watch and a
// region still alerts once.
//
// Exclusion and run events are raised by the caller (gravedancer's run
// reporter, which consumes the events stream through one durable consumer
// shared by the fleet), so each is sent by exactly one process.
package alert
