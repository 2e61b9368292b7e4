package testenv

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestStartS3(t *testing.T) {
	s := StartS3(t)
	bucket := s.CreateBucket(t, "probe", true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ok, err := s.Client().BucketExists(ctx, bucket); err != nil || !ok {
		t.Fatalf("bucket %s: exists %v, %v", bucket, ok, err)
	}
	// The keys are in versitygw's environment, not on its command line.
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cmdline), s.SecretKey) || strings.Contains(string(cmdline), s.AccessKey) {
		t.Errorf("versitygw's argv holds a key: %q", cmdline)
	}
	s.Stop()
	if c, err := net.DialTimeout("tcp", s.Host, time.Second); err == nil {
		c.Close()
		t.Errorf("versitygw still listens on %s after Stop", s.Host)
	}
}
