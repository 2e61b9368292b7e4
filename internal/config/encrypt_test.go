package config

import (
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"
)

func TestEncryptConfig(t *testing.T) {
	dir := t.TempDir()
	key, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	recipients := write("recipients", "# ops\n"+key.Recipient().String()+"\n", 0o644)
	badLine := write("bad", key.Recipient().String()+"\n\nnot-a-key\n", 0o644)
	empty := write("empty", "# nobody yet\n", 0o644)
	identity := write("ops.key", key.String()+"\n", 0o600)
	openIdentity := write("open.key", key.String()+"\n", 0o644)

	cases := []struct {
		name    string
		env     map[string]string
		wantVar string
		wantMsg string
	}{
		{"recipients", map[string]string{"GD_ENCRYPT_RECIPIENTS_FILE": recipients}, "", ""},
		{"on with recipients", map[string]string{"GD_ENCRYPT": "on", "GD_ENCRYPT_RECIPIENTS_FILE": recipients}, "", ""},
		{"off", map[string]string{"GD_ENCRYPT": "off"}, "", ""},
		{"identity", map[string]string{"GD_DECRYPT_IDENTITY_FILE": identity}, "", ""},
		{"bad value", map[string]string{"GD_ENCRYPT": "yes"}, "GD_ENCRYPT", "not one of on, off"},
		{"on without recipients", map[string]string{"GD_ENCRYPT": "on"}, "GD_ENCRYPT_RECIPIENTS_FILE", "required with GD_ENCRYPT=on"},
		{"off with recipients", map[string]string{"GD_ENCRYPT": "off", "GD_ENCRYPT_RECIPIENTS_FILE": recipients}, "GD_ENCRYPT", "unset one"},
		{"unreadable recipients", map[string]string{"GD_ENCRYPT_RECIPIENTS_FILE": filepath.Join(dir, "missing")}, "GD_ENCRYPT_RECIPIENTS_FILE", "no such file"},
		{"no recipients in file", map[string]string{"GD_ENCRYPT_RECIPIENTS_FILE": empty}, "GD_ENCRYPT_RECIPIENTS_FILE", "no recipients"},
		{"bad recipient line", map[string]string{"GD_ENCRYPT_RECIPIENTS_FILE": badLine}, "GD_ENCRYPT_RECIPIENTS_FILE", "line 3"},
		{"identity file too open", map[string]string{"GD_DECRYPT_IDENTITY_FILE": openIdentity}, "GD_DECRYPT_IDENTITY_FILE", "chmod 600"},
		{"identity file missing", map[string]string{"GD_DECRYPT_IDENTITY_FILE": filepath.Join(dir, "nope")}, "GD_DECRYPT_IDENTITY_FILE", "no such file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			setEnv(t, tc.env)
			_, err := Load()
			if tc.wantVar == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantError(t, err, tc.wantVar, tc.wantMsg, "AGE-SECRET-KEY")
		})
	}
}

// TestDumpNeedsRecipientsOrOff: a dump worker writes plaintext only when
// told to in so many words.
func TestDumpNeedsRecipientsOrOff(t *testing.T) {
	key, _ := age.GenerateX25519Identity()
	p := filepath.Join(t.TempDir(), "recipients")
	if err := os.WriteFile(p, []byte(key.Recipient().String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env  map[string]string
		want string // "" = allowed
	}{
		{map[string]string{}, "GD_ENCRYPT_RECIPIENTS_FILE"},
		{map[string]string{"GD_ENCRYPT": "off"}, ""},
		{map[string]string{"GD_ENCRYPT_RECIPIENTS_FILE": p}, ""},
	} {
		setEnv(t, tc.env)
		c, err := Load()
		if err != nil {
			t.Fatal(err)
		}
		err = c.ValidateDumpEncryption()
		if tc.want == "" {
			if err != nil {
				t.Errorf("%v: %v", tc.env, err)
			}
			continue
		}
		wantError(t, err, tc.want, "GD_ENCRYPT=off")
	}
}
