package testenv

import (
	"regexp"
	"strings"
	"testing"

	"gravedancer/demo"
)

var regionName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// SampleSQL returns demo/sample.sql with the region placeholder replaced.
// region must match [A-Za-z0-9_-]{1,64}.
func SampleSQL(t testing.TB, region string) string {
	t.Helper()
	if !regionName.MatchString(region) {
		t.Fatalf("testenv: region name %q must match %s", region, regionName)
	}
	return strings.ReplaceAll(demo.SampleSQL, demo.RegionPlaceholder, region)
}

// LoadSample loads the demo sample schema (demo/sample.sql: databases
// keystone, nova and neutron; row counts in demo.SampleTableRows) into m,
// with region stored in keystone.region and in host names and descriptions,
// so two regions' data differ slightly. It drops and re-creates those three
// databases. It uses the mariadb command-line client, exactly as the demo does.
func LoadSample(t testing.TB, m *MariaDB, region string) {
	t.Helper()
	m.ExecScript(t, SampleSQL(t, region))
}
