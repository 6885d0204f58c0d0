package scheduler

import (
	"testing"
	"time"

	"planbot"
)

// Describe names a schedule as an admin says it, and quotes what it cannot
// say plainly rather than claim more than the spec does.
func TestScheduleDescribe(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	cal := NewCalendar(planbot.Calendar{})
	for _, tt := range []struct {
		spec     string
		workdays bool
		want     string
	}{
		{"30 8 * * 1", false, "每周一 8:30"},
		{"0 9 * * *", true, "每个工作日 9:00（跳过法定节假日，调休上班日照常）"},
		{"0 10 * * *", false, "每天 10:00"},
		{"0 9 1 * *", false, "每月1日 9:00"},
		{"0 9 1 * *", true, "每月1日 9:00（非工作日不发）"},
		{"0 9 * * 1,3", true, "每周一、周三 9:00（非工作日不发）"},
		{"0 9 * * 1-5", false, "每周一至周五 9:00"},
		{"0 16 * * 4", false, "每周四 16:00"},
		{"0 9,15 * * *", false, "每天 9:00、15:00"},
		{"0 9 1,15 * *", false, "每月1日、15日 9:00"},
		{"0 9 31 3 *", false, "每年3月31日 9:00"},
		{"0 9 1 1,4,7,10 *", false, "每年1、4、7、10月1日 9:00"},
		{"@weekly", false, "每周日 0:00"},
		{"@daily", false, "每天 0:00"},
		{"15 * * * *", false, "每小时第 15 分"},
		{"*/30 9-17 * * *", false, "按 cron “*/30 9-17 * * *” 执行（分 */30，时 9-17，日 *，月 *，周 *）"},
		{"0 9 1 * 1", false, "按 cron “0 9 1 * 1” 执行（分 0，时 9，日 1，月 *，周 1）"},
		{"0 */2 * * *", true, "按 cron “0 */2 * * *” 执行（分 0，时 */2，日 *，月 *，周 *），只在工作日"},
	} {
		s, err := ParseSchedule(tt.spec, loc, cal, tt.workdays)
		if err != nil {
			t.Fatalf("%s: %v", tt.spec, err)
		}
		if got := s.Describe(); got != tt.want {
			t.Errorf("Describe(%q, workdays %v) = %q, want %q", tt.spec, tt.workdays, got, tt.want)
		}
	}
}
