package recovery

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"gravedancer/internal/catalog"
	"gravedancer/internal/job"
	"gravedancer/internal/mysqlx"
	"gravedancer/internal/report"
	"gravedancer/internal/restore"
)

// Plan is what a restore will create, read from the manifest alone.
type Plan struct {
	Databases []PlanDatabase
	Tables    []PlanTable
	Rows      int64
}

// PlanDatabase is a database of the dump and the name it is restored as.
// Whole is false when only some of its tables are restored: then only those
// tables, not the database, must be absent on the target.
type PlanDatabase struct {
	Name, Into string
	Whole      bool
}

// PlanTable is a table with the rows the manifest promises.
type PlanTable struct {
	Database, Table, Into string
	Rows                  int64
}

// NewPlan selects from the manifest what sel names: every user database
// when it names nothing. A name the dump does not hold is an error, so a
// typo never restores nothing and reports success.
func NewPlan(m *job.Manifest, sel restore.Selection) (*Plan, error) {
	dbs, err := selectedDatabases(m, sel)
	if err != nil {
		return nil, err
	}
	p := &Plan{}
	into := func(db string) string {
		if sel.Into != "" {
			return sel.Into
		}
		return db
	}
	whole := func(db string) bool {
		return slices.Contains(sel.Databases, db) || (len(sel.Databases) == 0 && len(sel.Tables) == 0)
	}
	for _, db := range dbs {
		p.Databases = append(p.Databases, PlanDatabase{Name: db, Into: into(db), Whole: whole(db)})
	}
	for _, t := range m.Tables {
		if !slices.Contains(dbs, t.Database) {
			continue
		}
		if whole(t.Database) || slices.Contains(sel.Tables, restore.TableName{Database: t.Database, Table: t.Table}) {
			p.Tables = append(p.Tables, PlanTable{Database: t.Database, Table: t.Table, Into: into(t.Database), Rows: t.Rows})
			p.Rows += t.Rows
		}
	}
	for _, want := range sel.Tables {
		if !slices.ContainsFunc(p.Tables, func(t PlanTable) bool { return t.Database == want.Database && t.Table == want.Table }) {
			return nil, fmt.Errorf("%w: table %s.%s is not in this backup", ErrUsage, want.Database, want.Table)
		}
	}
	return p, nil
}

// selectedDatabases lists the dump's databases the selection touches.
func selectedDatabases(m *job.Manifest, sel restore.Selection) ([]string, error) {
	have := m.Databases
	var out []string
	add := func(db string) error {
		if !slices.Contains(have, db) {
			return fmt.Errorf("%w: database %s is not in this backup (it holds %s)", ErrUsage, db, strings.Join(userDatabases(have), ", "))
		}
		if !slices.Contains(out, db) {
			out = append(out, db)
		}
		return nil
	}
	for _, db := range sel.Databases {
		if err := add(db); err != nil {
			return nil, err
		}
	}
	for _, t := range sel.Tables {
		if err := add(t.Database); err != nil {
			return nil, err
		}
	}
	if len(sel.Databases) == 0 && len(sel.Tables) == 0 {
		out = userDatabases(have)
	}
	return out, nil
}

// userDatabases leaves out the server's own schemas: they are restored only
// when named.
func userDatabases(dbs []string) []string {
	var out []string
	for _, db := range dbs {
		if !mysqlx.SystemSchema(db) {
			out = append(out, db)
		}
	}
	return out
}

// Conflicts lists what must not exist on the target before the restore:
// whole databases by name, and for partial ones the tables restored.
func (p *Plan) Conflicts() (databases []string, tables [][2]string) {
	for _, d := range p.Databases {
		if d.Whole {
			databases = append(databases, d.Into)
			continue
		}
		for _, t := range p.Tables {
			if t.Database == d.Name {
				tables = append(tables, [2]string{t.Into, t.Table})
			}
		}
	}
	return databases, tables
}

// Print shows the plan before anything happens.
func (p *Plan) Print(w io.Writer, b *catalog.Backup, opt Options) {
	fmt.Fprintf(w, "backup:    %s (region %s, taken %s, %s)\n", b.File, b.Region, b.Time.Local().Format(time.DateTime), report.HumanBytes(b.Bytes))
	switch {
	case b.Local != "":
		fmt.Fprintf(w, "from:      %s\n", b.Local)
	case len(b.Copies) > 0:
		fmt.Fprintf(w, "from:      %s (pruned from the spool)\n", copies(b))
	}
	if v := b.Verified; v != nil {
		fmt.Fprintf(w, "verified:  %s on %s, %d rows (run %s)\n", v.At.Local().Format(time.DateTime), v.TestServer, v.RowsVerified, v.Run)
	} else {
		fmt.Fprintln(w, "verified:  never — this backup has not passed a restore test")
	}
	if opt.Target.Host != "" || opt.Target.Socket != "" {
		fmt.Fprintf(w, "target:    %s as %s\n", target(opt), opt.Target.User)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DATABASE\tRESTORED AS\tTABLES\tROWS")
	for _, d := range p.Databases {
		n, rows := 0, int64(0)
		for _, t := range p.Tables {
			if t.Database == d.Name {
				n, rows = n+1, rows+t.Rows
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", d.Name, d.Into, n, rows)
	}
	tw.Flush()
	fmt.Fprintf(w, "total:     %d databases, %d tables, %d rows\n", len(p.Databases), len(p.Tables), p.Rows)
}

func copies(b *catalog.Backup) string {
	var s []string
	for _, c := range b.Copies {
		s = append(s, c.Target)
	}
	return strings.Join(s, ", ")
}

func target(opt Options) string {
	if opt.Target.Socket != "" {
		return opt.Target.Socket
	}
	return opt.Target.Addr()
}

// PrintResult shows each table's rows against the manifest.
func (r *Result) PrintResult(w io.Writer) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DATABASE\tTABLE\tROWS EXPECTED\tROWS RESTORED\t")
	for _, t := range r.Tables {
		mark := "ok"
		got := fmt.Sprint(t.Got)
		if t.Got < 0 {
			got = "missing"
		}
		if t.Got != t.Want {
			mark = "DIFFERS"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", t.Database, t.Table, t.Want, got, mark)
	}
	tw.Flush()
}

// PrintRollForward says how to replay the binary log from the dump's
// snapshot, when the source recorded one.
func PrintRollForward(w io.Writer, b *catalog.Backup) {
	if b.Binlog == nil {
		fmt.Fprintln(w, "binlog:    not recorded (binary logging off on the source, or SHOW MASTER STATUS not allowed to the backup user); no point-in-time roll-forward from this backup")
		return
	}
	bl := b.Binlog
	fmt.Fprintf(w, "binlog:    %s position %d", bl.File, bl.Position)
	if bl.GTID != "" {
		fmt.Fprintf(w, ", GTID %s", bl.GTID)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "roll forward with, on the source's binlogs:\n  mariadb-binlog --start-position=%d %s [later binlogs…] --stop-datetime='YYYY-MM-DD HH:MM:SS' | mariadb …\n", bl.Position, bl.File)
}
