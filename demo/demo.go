// Package demo holds the demo's sample data, shared by scripts/demo.sh and by
// the tests (internal/testenv.LoadSample), so both load the very same SQL.
package demo

import _ "embed"

// RegionPlaceholder is the text in SampleSQL that is replaced by a region's
// name before loading. It only ever appears inside string literals.
const RegionPlaceholder = "@@REGION@@"

// SampleSQL is demo/sample.sql: an OpenStack-like schema (databases keystone,
// nova and neutron) with a few thousand deterministic rows, a view, triggers,
// a procedure, a function and a disabled event. It is written for the mariadb
// command-line client (it uses DELIMITER) and contains RegionPlaceholder.
//
//go:embed sample.sql
var SampleSQL string

// SampleDatabases are the databases SampleSQL creates (it drops them first).
var SampleDatabases = []string{"keystone", "nova", "neutron"}

// SampleTableRows is the row count of every base table SampleSQL creates,
// keyed by "database.table"; it is the same for every region name.
var SampleTableRows = map[string]int{
	"keystone.region":              1,
	"keystone.project":             50,
	"keystone.user":                200,
	"keystone.role":                5,
	"keystone.role_assignment":     400,
	"nova.instances":               1000,
	"nova.instance_stats":          6,
	"nova.block_device_mapping":    1500,
	"nova.instance_faults":         100,
	"nova.instance actions":        2000,
	"nova.shadow_instance_actions": 0,
	"neutron.networks":             20,
	"neutron.subnets":              40,
	"neutron.ports":                1200,
	"neutron.agent_heartbeats":     100,
}

// SampleViews, SampleTriggers, SampleRoutines and SampleEvents name the other
// objects SampleSQL creates, as "database.name".
var (
	SampleViews    = []string{"nova.active_instances"}
	SampleTriggers = []string{"nova.instances_after_insert", "nova.instances_after_update"}
	SampleRoutines = []string{"keystone.project_member_count", "nova.archive_deleted_rows"}
	SampleEvents   = []string{"nova.purge_old_faults"}
)
