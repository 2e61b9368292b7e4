package config

import (
	"fmt"
	"log/slog"
)

// Secret is a password. Every way a Secret can be printed — fmt verbs, slog,
// JSON — prints a placeholder, so a config dump at debug level cannot leak it.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret itself; call it only where the value is written to
// a 0600 defaults file or handed to a driver.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string { return mask(s) }

// GoString covers %#v, which would otherwise print the underlying string.
func (s Secret) GoString() string { return mask(s) }

// Format covers every other verb (%s, %v, %q, %x…).
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(mask(s))) }

func (s Secret) LogValue() slog.Value { return slog.StringValue(mask(s)) }

func (s Secret) MarshalText() ([]byte, error) { return []byte(mask(s)), nil }

func mask(s Secret) string {
	if s == "" {
		return ""
	}
	return redacted
}
