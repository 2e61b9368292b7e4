package recovery

import (
	"errors"
	"fmt"
	"testing"

	"gravedancer/internal/job"
	"gravedancer/internal/restore"
)

func TestNewPlan(t *testing.T) {
	m := &job.Manifest{
		Databases: []string{"mysql", "keystone", "nova"},
		Tables: []job.TableCount{
			{Database: "mysql", Table: "user", Rows: 3},
			{Database: "keystone", Table: "project", Rows: 50},
			{Database: "nova", Table: "instances", Rows: 1000},
			{Database: "nova", Table: "faults", Rows: 10},
		},
	}
	for _, c := range []struct {
		name      string
		sel       restore.Selection
		tables    string // database→into.table list
		rows      int64
		conflicts string
		err       error
	}{
		{name: "everything but the system schemas", tables: "keystone>keystone.project nova>nova.instances nova>nova.faults", rows: 1060,
			conflicts: "[keystone nova] []"},
		{name: "mysql only when named", sel: restore.Selection{Databases: []string{"mysql"}}, tables: "mysql>mysql.user", rows: 3,
			conflicts: "[mysql] []"},
		{name: "one database renamed", sel: restore.Selection{Databases: []string{"nova"}, Into: "nova_old"},
			tables: "nova>nova_old.instances nova>nova_old.faults", rows: 1010, conflicts: "[nova_old] []"},
		{name: "one table: only the table must be absent", sel: restore.Selection{Tables: []restore.TableName{{Database: "nova", Table: "faults"}}},
			tables: "nova>nova.faults", rows: 10, conflicts: "[] [[nova faults]]"},
		{name: "unknown database", sel: restore.Selection{Databases: []string{"glance"}}, err: ErrUsage},
		{name: "unknown table", sel: restore.Selection{Tables: []restore.TableName{{Database: "nova", Table: "nope"}}}, err: ErrUsage},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := NewPlan(m, c.sel)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err = %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for i, tb := range p.Tables {
				if i > 0 {
					got += " "
				}
				got += tb.Database + ">" + tb.Into + "." + tb.Table
			}
			if got != c.tables || p.Rows != c.rows {
				t.Errorf("tables %q rows %d, want %q rows %d", got, p.Rows, c.tables, c.rows)
			}
			dbs, tables := p.Conflicts()
			if s := fmt.Sprint(dbs, tables); s != c.conflicts {
				t.Errorf("conflicts %s, want %s", s, c.conflicts)
			}
		})
	}
}

func TestResultOK(t *testing.T) {
	for _, c := range []struct {
		tables []TableResult
		plan   *Plan
		want   bool
	}{
		{[]TableResult{{Want: 5, Got: 5}}, &Plan{Tables: []PlanTable{{}}}, true},
		{[]TableResult{{Want: 5, Got: 4}}, &Plan{Tables: []PlanTable{{}}}, false},
		{[]TableResult{{Want: 5, Got: -1}}, &Plan{Tables: []PlanTable{{}}}, false},
		{nil, &Plan{Tables: []PlanTable{{}}}, false}, // nothing counted is not success
		{nil, &Plan{}, true}, // a database without tables
	} {
		if got := (&Result{Tables: c.tables, Plan: c.plan}).OK(); got != c.want {
			t.Errorf("OK(%+v) = %v, want %v", c.tables, got, c.want)
		}
	}
}
