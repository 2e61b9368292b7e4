package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestS3Config(t *testing.T) {
	s3 := func(kv map[string]string) map[string]string {
		m := map[string]string{"GD_SHIP": "s3", "GD_S3_ENDPOINT": "s3.example.com", "GD_S3_BUCKET": "backups"}
		for k, v := range kv {
			m[k] = v
		}
		return m
	}
	bad := []struct {
		name string
		env  map[string]string
		want string // variable named in the error
		msg  string
	}{
		{"no endpoint", s3(map[string]string{"GD_S3_ENDPOINT": "-"}), "GD_S3_ENDPOINT", "required"},
		{"no bucket", s3(map[string]string{"GD_S3_BUCKET": "-"}), "GD_S3_BUCKET", "required"},
		{"endpoint with a path", s3(map[string]string{"GD_S3_ENDPOINT": "https://s3.example.com/backups"}), "GD_S3_ENDPOINT", "without a path"},
		{"plain http off loopback", s3(map[string]string{"GD_S3_ENDPOINT": "http://s3.example.com"}), "GD_S3_ENDPOINT", "loopback"},
		{"not a URL", s3(map[string]string{"GD_S3_ENDPOINT": "https://s3 example.com:x"}), "GD_S3_ENDPOINT", "endpoint"},
		{"access key without secret", s3(map[string]string{"GD_S3_ACCESS_KEY": "AK"}), "GD_S3_SECRET_KEY", "required"},
		{"secret without access key", s3(map[string]string{"GD_S3_SECRET_KEY": "hunter2"}), "GD_S3_ACCESS_KEY", "required"},
		{"secret file unreadable", s3(map[string]string{"GD_S3_ACCESS_KEY": "AK", "GD_S3_SECRET_KEY_FILE": "/nonexistent/s3"}), "GD_S3_SECRET_KEY_FILE", "no such file"},
		{"secret and file", s3(map[string]string{"GD_S3_ACCESS_KEY": "AK", "GD_S3_SECRET_KEY": "hunter2", "GD_S3_SECRET_KEY_FILE": "/x"}), "GD_S3_SECRET_KEY", "set one"},
		{"bad lock mode", s3(map[string]string{"GD_S3_OBJECT_LOCK_MODE": "forever"}), "GD_S3_OBJECT_LOCK_MODE", "GOVERNANCE or COMPLIANCE"},
		{"negative lock days", s3(map[string]string{"GD_S3_OBJECT_LOCK_DAYS": "-3"}), "GD_S3_OBJECT_LOCK_DAYS", "negative"},
		{"tiny parts", s3(map[string]string{"GD_S3_PART_SIZE_MB": "1"}), "GD_S3_PART_SIZE_MB", "5-5120"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			setEnv(t, c.env)
			_, err := Load()
			wantError(t, err, c.want, c.msg, "hunter2")
		})
	}

	t.Run("secret from file, defaults", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "s3")
		if err := os.WriteFile(f, []byte("hunter2\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		setEnv(t, s3(map[string]string{"GD_S3_ACCESS_KEY": "AK", "GD_S3_SECRET_KEY_FILE": f, "GD_S3_OBJECT_LOCK_DAYS": "30"}))
		c, err := Load()
		if err != nil {
			t.Fatal(err)
		}
		if c.S3SecretKey.Reveal() != "hunter2" || c.S3PartSizeMB != 64 || c.S3LockMode != "GOVERNANCE" || c.S3PathStyle {
			t.Errorf("S3 settings: part %d MB, lock %s %d days, path style %v", c.S3PartSizeMB, c.S3LockMode, c.S3LockDays, c.S3PathStyle)
		}
	})

	t.Run("AWS credential chain", func(t *testing.T) {
		setEnv(t, s3(map[string]string{"GD_S3_ENDPOINT": "http://127.0.0.1:9000", "GD_S3_PATH_STYLE": "true"}))
		if _, err := Load(); err != nil {
			t.Fatal(err)
		}
	})
}
