// flytecpp-cron: the firing times of a cron schedule, for flytecpp's
// scheduler (src/admin/schedule.h). Flyte's scheduler parses schedules with
// robfig/cron's standard parser (five fields, or a descriptor such as
// @hourly or "@every 90m"); so does this helper, so that a schedule fires
// here when it would in Flyte. Times are UTC.
//
//	flytecpp-cron SCHEDULE AFTER COUNT
//
// prints the COUNT firing times after AFTER (Unix seconds), one per line, in
// Unix seconds. A schedule that cannot be parsed, or that never fires, is
// one line on stderr and exit status 2.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// flytekit accepts these words for schedules (CronSchedule's aliases);
// robfig/cron knows them with an '@'.
var aliases = map[string]string{
	"hourly": "@hourly", "hours": "@hourly",
	"daily": "@daily", "days": "@daily",
	"weekly": "@weekly", "weeks": "@weekly",
	"monthly": "@monthly", "months": "@monthly",
	"annually": "@annually", "yearly": "@yearly", "years": "@yearly",
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(2)
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: flytecpp-cron SCHEDULE AFTER COUNT")
	}
	spec := strings.TrimSpace(os.Args[1])
	if alias, ok := aliases[strings.ToLower(spec)]; ok {
		spec = alias
	}
	after, err := strconv.ParseInt(os.Args[2], 10, 64)
	if err != nil {
		fail("AFTER must be Unix seconds, not %q", os.Args[2])
	}
	count, err := strconv.Atoi(os.Args[3])
	if err != nil || count < 0 {
		fail("COUNT must be a number, not %q", os.Args[3])
	}
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		fail("schedule %q: time zones are not supported; schedules are in UTC", os.Args[1])
	}
	schedule, err := cron.ParseStandard(spec)
	if err != nil {
		fail("schedule %q: %v", os.Args[1], err)
	}
	t := time.Unix(after, 0).UTC()
	var out strings.Builder
	for i := 0; i < count; i++ {
		t = schedule.Next(t)
		if t.IsZero() {
			// robfig/cron gives up after five years without a match.
			fail("schedule %q never fires", os.Args[1])
		}
		out.WriteString(strconv.FormatInt(t.Unix(), 10))
		out.WriteByte('\n')
	}
	os.Stdout.WriteString(out.String())
}
