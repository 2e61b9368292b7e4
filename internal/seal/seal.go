// Package seal encrypts artifacts to age recipients and opens them with age
// identities. It is the one place that knows the key formats, so the dump
// stage (which holds only public keys), the restore side (which holds the
// private ones) and the catalog agree on them.
//
// A recipients file lists public keys, one per line: age X25519 keys
// (age1…), age post-quantum hybrid keys (age1pq1…) and SSH keys
// (ssh-ed25519 …, ssh-rsa …); blank lines and lines starting with # are
// ignored. An identities file lists private keys the same way
// (AGE-SECRET-KEY-1…, AGE-SECRET-KEY-PQ-1…), or is one unencrypted OpenSSH
// private key. Several keys in either file are the point: an operations key
// and an escrow key as recipients; old and new keys as identities while
// artifacts sealed before a rotation are still kept.
//
// Private key material never appears in an error, a log line or a String:
// errors name line numbers, never line contents.
package seal

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"unicode/utf8"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"
)

// Scheme names the encryption in manifests.
const Scheme = "age"

// Ext is the suffix a sealed artifact's name gains.
const Ext = ".age"

// Magic is how every age file begins.
const Magic = "age-encryption.org/v1\n"

// fileLimit bounds key files: a few keys are a few hundred bytes, and a
// file of megabytes is certainly the wrong file.
const fileLimit = 1 << 20

// Recipients are the public keys new artifacts are sealed to.
type Recipients struct {
	keys []string // normalised public keys, in file order
	list []age.Recipient
}

// Keys returns the public keys, as the manifest records them.
func (r *Recipients) Keys() []string { return append([]string(nil), r.keys...) }

// Len is the number of recipients.
func (r *Recipients) Len() int {
	if r == nil {
		return 0
	}
	return len(r.list)
}

// LoadRecipients reads a recipients file.
func LoadRecipients(path string) (*Recipients, error) {
	b, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	return ParseRecipients(bytes.NewReader(b))
}

// ParseRecipients reads recipients, one per line. Errors name the line and
// never quote it: a private key pasted into the wrong file must not end
// up in a log.
func ParseRecipients(in io.Reader) (*Recipients, error) {
	rs := &Recipients{}
	seen := map[string]bool{}
	err := eachLine(in, func(n int, line string) error {
		key, r, err := parseRecipient(line)
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if seen[key] {
			return fmt.Errorf("line %d: the same key as an earlier line", n)
		}
		seen[key] = true
		rs.keys = append(rs.keys, key)
		rs.list = append(rs.list, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(rs.list) == 0 {
		return nil, fmt.Errorf("%w: the file has no public key lines (age1…, ssh-ed25519 …)", ErrNoRecipients)
	}
	// age refuses to mix post-quantum and classic recipients in one file
	// header; find that out now rather than at the first dump.
	if _, err := age.Encrypt(io.Discard, rs.list...); err != nil {
		return nil, fmt.Errorf("these recipients cannot be used together: %w", err)
	}
	return rs, nil
}

func parseRecipient(line string) (string, age.Recipient, error) {
	switch {
	case strings.HasPrefix(line, "AGE-SECRET-KEY-"):
		return "", nil, errors.New("is a private key; put its public key here instead (age-keygen -y FILE prints it)")
	case strings.HasPrefix(line, "age1pq1"):
		r, err := age.ParseHybridRecipient(line)
		if err != nil {
			return "", nil, errors.New("not a valid age1pq1… public key")
		}
		return line, r, nil
	case strings.HasPrefix(line, "age1"):
		r, err := age.ParseX25519Recipient(line)
		if err != nil {
			return "", nil, errors.New("not a valid age1… public key")
		}
		return line, r, nil
	case strings.HasPrefix(line, "ssh-ed25519 "), strings.HasPrefix(line, "ssh-rsa "):
		pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			return "", nil, errors.New("not a valid SSH public key")
		}
		r, err := agessh.ParseRecipient(line)
		if err != nil {
			return "", nil, fmt.Errorf("SSH key not usable as a recipient: %w", err)
		}
		// The key without its comment: the comment is not the key.
		return pk.Type() + " " + base64.StdEncoding.EncodeToString(pk.Marshal()), r, nil
	}
	return "", nil, errors.New("not a public key (age1…, age1pq1…, ssh-ed25519 … or ssh-rsa …)")
}

// Identities are the private keys that open artifacts. Every way of
// printing them prints a placeholder.
type Identities struct {
	list []age.Identity
	pubs []string // their public keys, for messages
}

// Len is the number of identities; 0 for nil.
func (ids *Identities) Len() int {
	if ids == nil {
		return 0
	}
	return len(ids.list)
}

// Public lists the identities' public keys, short form.
func (ids *Identities) Public() []string {
	if ids == nil {
		return nil
	}
	out := make([]string, 0, len(ids.pubs))
	for _, p := range ids.pubs {
		out = append(out, Short(p))
	}
	return out
}

func (ids *Identities) String() string {
	return fmt.Sprintf("[%d age identities, redacted]", ids.Len())
}

// GoString covers %#v, which would otherwise print the keys.
func (ids *Identities) GoString() string { return ids.String() }

// Format covers every verb.
func (ids *Identities) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, ids.String()) }

// LogValue keeps keys out of logs.
func (ids *Identities) LogValue() slog.Value { return slog.StringValue(ids.String()) }

// LoadIdentities reads an identities file, refusing one that group or
// others may read or write: like ssh with its keys, a private key that
// others can read is no longer private.
func LoadIdentities(path string) (*Identities, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: mode %04o; chmod 600 it", ErrFileMode, fi.Mode().Perm())
	}
	b, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	return ParseIdentities(bytes.NewReader(b))
}

// ParseIdentities reads age identities, one per line, or one unencrypted
// OpenSSH private key.
func ParseIdentities(in io.Reader) (*Identities, error) {
	b, err := io.ReadAll(io.LimitReader(in, fileLimit+1))
	if err != nil {
		return nil, err
	}
	if len(b) > fileLimit {
		return nil, errors.New("file too large for a key file")
	}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("-----BEGIN")) {
		return parseSSHIdentity(b)
	}
	ids := &Identities{}
	err = eachLine(bytes.NewReader(b), func(n int, line string) error {
		var id age.Identity
		var pub string
		switch {
		case strings.HasPrefix(line, "AGE-SECRET-KEY-PQ-1"):
			h, err := age.ParseHybridIdentity(line)
			if err != nil {
				return fmt.Errorf("line %d: not a valid AGE-SECRET-KEY-PQ-1… key", n)
			}
			id, pub = h, h.Recipient().String()
		case strings.HasPrefix(line, "AGE-SECRET-KEY-1"):
			x, err := age.ParseX25519Identity(line)
			if err != nil {
				return fmt.Errorf("line %d: not a valid AGE-SECRET-KEY-1… key", n)
			}
			id, pub = x, x.Recipient().String()
		case strings.HasPrefix(line, "age1"), strings.HasPrefix(line, "ssh-"):
			return fmt.Errorf("line %d: is a public key; identities are private keys (AGE-SECRET-KEY-1…)", n)
		default:
			return fmt.Errorf("line %d: not an age private key (AGE-SECRET-KEY-1…)", n)
		}
		ids.list = append(ids.list, id)
		ids.pubs = append(ids.pubs, pub)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(ids.list) == 0 {
		return nil, errors.New("no identities: the file has no AGE-SECRET-KEY-1… lines")
	}
	return ids, nil
}

func parseSSHIdentity(pemBytes []byte) (*Identities, error) {
	id, err := agessh.ParseIdentity(pemBytes)
	if err != nil {
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			return nil, errors.New("the SSH private key is passphrase-protected; a service cannot type the passphrase: use an age key")
		}
		// err may describe the key's parse failure, never its bytes.
		return nil, fmt.Errorf("not a usable SSH private key: %w", err)
	}
	var pub string
	if raw, err := ssh.ParseRawPrivateKey(pemBytes); err == nil {
		if signer, err := ssh.NewSignerFromKey(raw); err == nil {
			pk := signer.PublicKey()
			pub = pk.Type() + " " + base64.StdEncoding.EncodeToString(pk.Marshal())
		}
	}
	return &Identities{list: []age.Identity{id}, pubs: []string{pub}}, nil
}

// eachLine calls fn with every line that is neither blank nor a comment,
// trimmed, and its 1-based number.
func eachLine(in io.Reader, fn func(n int, line string) error) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), fileLimit)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !utf8.ValidString(line) {
			return fmt.Errorf("line %d: not valid UTF-8", n)
		}
		if err := fn(n, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", n+1, err)
	}
	return nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, fileLimit+1))
	if err != nil {
		return nil, err
	}
	if len(b) > fileLimit {
		return nil, errors.New("file too large for a key file")
	}
	return b, nil
}

// Encrypt returns a writer that seals what is written to it into dst.
// Close finishes the last chunk; it does not close dst.
func Encrypt(dst io.Writer, rs *Recipients) (io.WriteCloser, error) {
	if rs.Len() == 0 {
		return nil, ErrNoRecipients
	}
	w, err := age.Encrypt(dst, rs.list...)
	if err != nil {
		return nil, fmt.Errorf("age encrypt: %w", err)
	}
	return w, nil
}

// Decrypt reads the age header from src and returns the plaintext reader.
// The reader hands out only plaintext whose chunk (64 KiB) has been
// authenticated: a modified byte fails the read of its chunk, before any of
// that chunk is returned. Keys that match none of the file's recipients
// give an error wrapping ErrNoIdentity.
func Decrypt(src io.Reader, ids *Identities) (io.Reader, error) {
	if ids.Len() == 0 {
		return nil, fmt.Errorf("%w (no identities configured: set GD_DECRYPT_IDENTITY_FILE)", ErrNoIdentity)
	}
	r, err := age.Decrypt(src, ids.list...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, fmt.Errorf("%w (this host holds %s)", ErrNoIdentity, strings.Join(ids.Public(), ", "))
		}
		return nil, fmt.Errorf("age: %w", err)
	}
	return r, nil
}

// CheckHeader reads the age header at the start of r and returns how many
// recipient stanzas it carries, without any key: what a worker holding no
// identity can check of a sealed artifact besides its hash.
func CheckHeader(r io.Reader) (stanzas int, err error) {
	hdr, err := age.ExtractHeader(r)
	if err != nil {
		if !bytes.HasPrefix(hdr, []byte(Magic)) {
			return 0, fmt.Errorf("%w: %v", ErrNotSealed, err)
		}
		return 0, fmt.Errorf("age header: %w", err)
	}
	for _, line := range bytes.Split(hdr, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("-> ")) {
			stanzas++
		}
	}
	return stanzas, nil
}

// IsSealed reports whether head, at least the first len(Magic) bytes of a
// file, is the start of an age header.
func IsSealed(head []byte) bool { return bytes.HasPrefix(head, []byte(Magic)) }

// Short is the form of a public key shown in tables: enough to tell keys
// apart, short enough for a column. SSH keys show their fingerprint, as
// ssh-keygen -l does.
func Short(key string) string {
	if typ, rest, ok := strings.Cut(key, " "); ok && strings.HasPrefix(typ, "ssh-") {
		b64, _, _ := strings.Cut(rest, " ")
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return typ
		}
		sum := sha256.Sum256(raw)
		fp := base64.RawStdEncoding.EncodeToString(sum[:])
		return typ + ":" + fp[:12]
	}
	if len(key) <= 20 {
		return key
	}
	return key[:12] + "…" + key[len(key)-6:]
}
