package alert

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Formats of the webhook's body (GD_ALERT_FORMAT).
const (
	FormatJSON  = "json"  // the Event itself
	FormatSlack = "slack" // {"text": …, "blocks": […]}: Slack incoming webhooks and compatibles
)

// Render is the body a receiver gets for ev in format.
func Render(format string, ev Event) ([]byte, error) {
	switch format {
	case FormatJSON, "":
		return json.Marshal(ev)
	case FormatSlack:
		return json.Marshal(slackPayload(ev))
	}
	return nil, fmt.Errorf("alert %s: unknown format %q (json, slack)", ev.Kind, format)
}

type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks,omitempty"`
}

type slackBlock struct {
	Type string     `json:"type"`
	Text *slackText `json:"text,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// slackLimit keeps a section under Slack's 3000-character limit.
const slackLimit = 2900

// slackPayload is a plain-text fallback (notifications, receivers that
// ignore blocks) and one section with the details.
func slackPayload(ev Event) slackMessage {
	icon := map[Kind]string{KindExcluded: ":x:", KindRunFinished: ":warning:", KindStale: ":rotating_light:", KindRecovered: ":white_check_mark:"}[ev.Kind]
	var b strings.Builder
	fmt.Fprintf(&b, "%s *%s*", icon, slackEscape(ev.Summary))
	switch ev.Kind {
	case KindExcluded:
		if ev.ReasonClass != "" {
			fmt.Fprintf(&b, "\nclass `%s`, %d attempt(s)", ev.ReasonClass, ev.Attempts)
		}
		if ev.Reason != "" && strings.Contains(ev.Reason, "\n") {
			fmt.Fprintf(&b, "\n```%s```", slackEscape(ev.Reason))
		}
	case KindRunFinished:
		for _, x := range ev.ExcludedRegions {
			fmt.Fprintf(&b, "\n• *%s* at %s: %s", slackEscape(x.Region), slackEscape(x.Stage), slackEscape(firstLine(x.Reason)))
		}
	}
	text := b.String()
	if len(text) > slackLimit {
		text = clipTo(text, slackLimit)
	}
	return slackMessage{Text: slackEscape(ev.Summary), Blocks: []slackBlock{{Type: "section", Text: &slackText{Type: "mrkdwn", Text: text}}}}
}

// slackEscape escapes the three characters Slack's mrkdwn treats as markup.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func clipTo(s string, n int) string {
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
