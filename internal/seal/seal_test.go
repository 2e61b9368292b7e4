package seal

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"
)

func newKey(t *testing.T) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func sshPub(t *testing.T) (string, []byte) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk))) + " ops@example", pem.EncodeToMemory(block)
}

func TestParseRecipients(t *testing.T) {
	a, b := newKey(t), newKey(t)
	sshLine, _ := sshPub(t)
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr string
	}{
		{"one", a.Recipient().String() + "\n", 1, ""},
		{"two with comments and blanks", "# ops\n" + a.Recipient().String() + "\n\n  # escrow\n  " + b.Recipient().String() + "  \n", 2, ""},
		{"ssh", sshLine + "\n", 1, ""},
		{"empty", "", 0, "no recipients"},
		{"only comments", "# nothing\n\n", 0, "no recipients"},
		{"garbage on line 3", a.Recipient().String() + "\n# x\nhello world\n", 0, "line 3: not a public key"},
		{"bad age key on line 2", "# x\nage1notakey\n", 0, "line 2: not a valid age1"},
		{"secret key pasted", "\n" + a.String() + "\n", 0, "line 2: is a private key"},
		{"duplicate", a.Recipient().String() + "\n" + a.Recipient().String() + "\n", 0, "line 2: the same key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := ParseRecipients(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				// Never echo a line: it may be a private key.
				if strings.Contains(err.Error(), "AGE-SECRET-KEY") || strings.Contains(err.Error(), "hello") {
					t.Fatalf("error quotes the file: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rs.Len() != tt.want || len(rs.Keys()) != tt.want {
				t.Fatalf("got %d recipients, want %d", rs.Len(), tt.want)
			}
		})
	}
}

func TestSSHRecipientKeyDropsComment(t *testing.T) {
	line, _ := sshPub(t)
	rs, err := ParseRecipients(strings.NewReader(line))
	if err != nil {
		t.Fatal(err)
	}
	if k := rs.Keys()[0]; strings.Contains(k, "ops@example") || !strings.HasPrefix(k, "ssh-ed25519 AAAA") {
		t.Fatalf("key = %q", k)
	}
	if s := Short(rs.Keys()[0]); !strings.HasPrefix(s, "ssh-ed25519:") || len(s) != len("ssh-ed25519:")+12 {
		t.Fatalf("short = %q", s)
	}
}

func TestParseIdentities(t *testing.T) {
	a, b := newKey(t), newKey(t)
	_, sshPEM := sshPub(t)
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr string
	}{
		{"one", a.String() + "\n", 1, ""},
		{"age-keygen output", "# created: 2026-01-01T00:00:00Z\n# public key: " + a.Recipient().String() + "\n" + a.String() + "\n", 1, ""},
		{"old and new", a.String() + "\n" + b.String() + "\n", 2, ""},
		{"ssh private key", string(sshPEM), 1, ""},
		{"empty", "", 0, "no identities"},
		{"public key instead", "\n" + a.Recipient().String() + "\n", 0, "line 2: is a public key"},
		{"bad secret on line 3", a.String() + "\n\nAGE-SECRET-KEY-1XYZ\n", 0, "line 3: not a valid AGE-SECRET-KEY-1"},
		{"garbage", "password123\n", 0, "line 1: not an age private key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, err := ParseIdentities(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "password123") || strings.Contains(err.Error(), "XYZ") {
					t.Fatalf("error quotes the file: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ids.Len() != tt.want {
				t.Fatalf("got %d identities, want %d", ids.Len(), tt.want)
			}
		})
	}
}

func TestIdentitiesNeverPrintKeys(t *testing.T) {
	a := newKey(t)
	ids, err := ParseIdentities(strings.NewReader(a.String()))
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "ids", ids)
	for _, s := range []string{fmt.Sprint(ids), fmt.Sprintf("%v %+v %#v %s %q", ids, ids, ids, ids, ids), logged.String()} {
		if strings.Contains(s, "AGE-SECRET-KEY") {
			t.Fatalf("printed a key: %s", s)
		}
	}
	if got := ids.Public(); len(got) != 1 || got[0] != Short(a.Recipient().String()) {
		t.Fatalf("public = %v", got)
	}
}

func TestLoadIdentitiesFileMode(t *testing.T) {
	a := newKey(t)
	p := filepath.Join(t.TempDir(), "ops.key")
	if err := os.WriteFile(p, []byte(a.String()+"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadIdentities(p); !errors.Is(err, ErrFileMode) || !strings.Contains(err.Error(), "0640") {
		t.Fatalf("mode 0640: err = %v, want ErrFileMode", err)
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if ids, err := LoadIdentities(p); err != nil || ids.Len() != 1 {
		t.Fatalf("mode 0600: %v", err)
	}
}

// TestRoundTrip seals to two recipients and opens with each identity
// alone; a third key opens nothing.
func TestRoundTrip(t *testing.T) {
	ops, escrow, stranger := newKey(t), newKey(t), newKey(t)
	rs, err := ParseRecipients(strings.NewReader(ops.Recipient().String() + "\n" + escrow.Recipient().String()))
	if err != nil {
		t.Fatal(err)
	}
	plain := bytes.Repeat([]byte("INSERT INTO t VALUES (1,'x');\n"), 10000) // several 64 KiB chunks
	var sealed bytes.Buffer
	w, err := Encrypt(&sealed, rs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed.Bytes(), []byte("INSERT")) || !IsSealed(sealed.Bytes()) {
		t.Fatal("ciphertext is not sealed")
	}
	if n, err := CheckHeader(bytes.NewReader(sealed.Bytes())); err != nil || n != 2 {
		t.Fatalf("header: %d stanzas, %v", n, err)
	}
	for _, id := range []*age.X25519Identity{ops, escrow} {
		ids, _ := ParseIdentities(strings.NewReader(id.String()))
		r, err := Decrypt(bytes.NewReader(sealed.Bytes()), ids)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("decrypted %d bytes, err %v", len(got), err)
		}
	}
	ids, _ := ParseIdentities(strings.NewReader(stranger.String()))
	if _, err := Decrypt(bytes.NewReader(sealed.Bytes()), ids); !errors.Is(err, ErrNoIdentity) {
		t.Fatalf("stranger: err = %v, want ErrNoIdentity", err)
	}
	if _, err := Decrypt(bytes.NewReader(sealed.Bytes()), nil); !errors.Is(err, ErrNoIdentity) {
		t.Fatalf("no identities: err = %v, want ErrNoIdentity", err)
	}
}

// TestTamperedChunkReturnsNothingOfIt flips a byte in the third chunk: the
// reader returns the first two chunks and then fails, without handing out
// one byte of the tampered chunk.
func TestTamperedChunkReturnsNothingOfIt(t *testing.T) {
	k := newKey(t)
	rs, _ := ParseRecipients(strings.NewReader(k.Recipient().String()))
	plain := make([]byte, 5*64<<10)
	for i := range plain {
		plain[i] = byte('a' + i%26)
	}
	var sealed bytes.Buffer
	w, _ := Encrypt(&sealed, rs)
	_, _ = w.Write(plain)
	_ = w.Close()
	b := sealed.Bytes()
	hdr, err := age.ExtractHeader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	const encChunk = 64<<10 + 16
	payload := len(hdr) + 16 // the 16-byte nonce follows the header
	b[payload+2*encChunk+100] ^= 1
	ids, _ := ParseIdentities(strings.NewReader(k.String()))
	r, err := Decrypt(bytes.NewReader(b), ids)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err == nil {
		t.Fatal("tampered chunk read without error")
	}
	if len(got) != 2*64<<10 || !bytes.Equal(got, plain[:len(got)]) {
		t.Fatalf("got %d bytes before the error, want exactly the two authenticated chunks", len(got))
	}
}

func TestCheckHeaderNotSealed(t *testing.T) {
	if _, err := CheckHeader(strings.NewReader("\x1f\x8b\x08\x00 gzip")); !errors.Is(err, ErrNotSealed) {
		t.Fatalf("err = %v, want ErrNotSealed", err)
	}
}

func TestShort(t *testing.T) {
	k := newKey(t).Recipient().String()
	s := Short(k)
	if !strings.HasPrefix(s, k[:12]) || !strings.HasSuffix(s, k[len(k)-6:]) || len([]rune(s)) != 19 {
		t.Fatalf("Short(%s) = %s", k, s)
	}
}
