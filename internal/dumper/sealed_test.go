package dumper

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"gravedancer/internal/codec"
	"gravedancer/internal/job"
	"gravedancer/internal/seal"
	"gravedancer/internal/store"
)

func testRecipients(t testing.TB, n int) (*seal.Recipients, []*seal.Identities) {
	t.Helper()
	var lines []string
	var ids []*seal.Identities
	for range n {
		k, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, k.Recipient().String())
		id, err := seal.ParseIdentities(strings.NewReader(k.String()))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rs, err := seal.ParseRecipients(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	return rs, ids
}

func benchRecipients(b *testing.B) *seal.Recipients {
	rs, _ := testRecipients(b, 2)
	return rs
}

// open decrypts and decompresses a sealed artifact.
func open(t *testing.T, sealed []byte, ids *seal.Identities, comp string) []byte {
	t.Helper()
	pr, err := seal.Decrypt(bytes.NewReader(sealed), ids)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := codec.NewReader(pr, comp)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProcessSealedRoundTrip(t *testing.T) {
	rs, ids := testRecipients(t, 2)
	body := []byte(fakeDump)
	for _, size := range []int{0, 1, 64<<10 - 1, chunkSize + 1, 3*chunkSize + 17} {
		for _, comp := range []string{"gzip", "zstd"} {
			t.Run(fmt.Sprintf("%s/%d", comp, size), func(t *testing.T) {
				raw := dumpOfSize(body, size)
				var out bytes.Buffer
				res, err := process(bytes.NewReader(raw), &out, streamConfig{Compression: comp, Level: 1, Seal: rs})
				if err != nil {
					t.Fatal(err)
				}
				got := []any{res.RawBytes, res.RawSHA256, res.Bytes, res.SHA256}
				want := []any{int64(size), sha256Hex(raw), int64(out.Len()), sha256Hex(out.Bytes())}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("result %v, want %v (the stored hash is the ciphertext's)", got, want)
				}
				if !seal.IsSealed(out.Bytes()) {
					t.Fatal("output is not an age file")
				}
				for i, id := range ids {
					if back := open(t, out.Bytes(), id, comp); !bytes.Equal(back, raw) {
						t.Errorf("identity %d: %d bytes back, want %d", i, len(back), len(raw))
					}
				}
			})
		}
	}
}

func TestFakeToolSealed(t *testing.T) {
	rs, ids := testRecipients(t, 2)
	d := newDumper(t, Options{Tool: fakeTool(t, fakeDump+fakeFooter, "exit 0"), Compression: "zstd", Recipients: rs})
	art, m, err := d.Dump(context.Background(), Source{Region: "R1", Host: "db.example", User: "u", Password: "pw"}, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	if want := d.Spool.SealedArtifactPath("R1", testStart, "zstd"); art.Path != want || m.File != filepath.Base(want) {
		t.Fatalf("artifact %s (manifest file %s), want %s", art.Path, m.File, want)
	}
	stored, err := os.ReadFile(art.Path)
	if err != nil {
		t.Fatal(err)
	}
	raw := []byte(fakeDump + fakeFooter)
	if m.SHA256 != sha256Hex(stored) || m.Bytes != int64(len(stored)) || art.SHA256 != m.SHA256 {
		t.Errorf("sha256/bytes are not the stored ciphertext's")
	}
	if m.RawSHA256 != sha256Hex(raw) || m.RawBytes != int64(len(raw)) {
		t.Errorf("raw sha256/bytes are not the plaintext dump's")
	}
	if m.Encryption == nil || m.Encryption.Scheme != "age" || strings.Join(m.Encryption.Recipients, ",") != strings.Join(rs.Keys(), ",") {
		t.Errorf("encryption = %+v, want age to %v", m.Encryption, rs.Keys())
	}
	if m.Tables[0].Rows != 3 {
		t.Errorf("rows = %d: the lexer must still see the plaintext", m.Tables[0].Rows)
	}
	if back := open(t, stored, ids[1], "zstd"); !bytes.Equal(back, raw) {
		t.Error("artifact does not open with the second recipient's key")
	}
	if err := store.VerifyWith(art.Path, m, ids[0]); err != nil {
		t.Errorf("VerifyWith: %v", err)
	}
	onDisk, _ := os.ReadFile(art.ManifestPath)
	back, err := job.DecodeManifest(onDisk)
	if err != nil || back.Encryption == nil {
		t.Fatalf("manifest on disk: %v, encryption %+v", err, back)
	}
	// Nothing readable: not in the artifact, not in any file of the spool.
	for _, f := range spoolFiles(t, d) {
		b, _ := os.ReadFile(filepath.Join(d.Spool.Dir, f))
		if bytes.Contains(b, []byte("INSERT INTO")) {
			t.Errorf("%s holds plaintext", f)
		}
	}
}
