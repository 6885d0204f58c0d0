package config

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The raw types mirror the YAML one to one. They are filled by decodeNode,
// a strict walker over yaml.Node rather than yaml's own Decode, so that an
// unknown key, a wrong type and a bad value are all reported at once, each
// with its line, instead of stopping at the first.

// lines maps each key of a mapping to the line it was written on; "" is the
// line of the mapping itself.
type lines map[string]int

func (l lines) of(key string) int {
	if n, ok := l[key]; ok {
		return n
	}
	return l[""]
}

type rawFile struct {
	Year       *int           `yaml:"year"`
	Timezone   string         `yaml:"timezone"`
	Database   string         `yaml:"database"`
	Include    []string       `yaml:"include"`
	Bot        *rawBot        `yaml:"bot"`
	WeCom      *rawWeCom      `yaml:"wecom"`
	Rules      *rawRules      `yaml:"rules"`
	People     []rawPerson    `yaml:"people"`
	Sections   []rawSection   `yaml:"sections"`
	Items      []rawItem      `yaml:"items"`
	Indicators []rawIndicator `yaml:"indicators"`
	Reminders  []rawReminder  `yaml:"reminders"`
	Limits     *rawLimits     `yaml:"reminder_limits"`
	Calendar   *rawCalendar   `yaml:"calendar"`
	Lines      lines          `yaml:"-"`
}

type rawBot struct {
	TokenEnv    string         `yaml:"token_env"`
	APIEndpoint string         `yaml:"api_endpoint"`
	AdminChat   int64          `yaml:"admin_chat"`
	UndoWindow  string         `yaml:"undo_window"`
	Limits      *rawSendLimits `yaml:"send_limits"`
	JumpShare   *float64       `yaml:"value_jump_share"`
	Lines       lines          `yaml:"-"`
}

type rawSendLimits struct {
	PerSecond         *float64 `yaml:"per_second"`
	PerChatSeconds    *float64 `yaml:"per_chat_seconds"`
	PerGroupPerMinute *float64 `yaml:"per_group_per_minute"`
	Lines             lines    `yaml:"-"`
}

// rawWeCom is the wecom: section: the AI bot's long connection and the
// group robots' webhooks.
type rawWeCom struct {
	BotID      string              `yaml:"bot_id"`
	Name       string              `yaml:"name"`
	SecretEnv  string              `yaml:"secret_env"`
	URL        string              `yaml:"url"`
	WebhookURL string              `yaml:"webhook_url"`
	Limits     *rawWeComSendLimits `yaml:"send_limits"`
	Robots     []rawRobot          `yaml:"robots"`
	Lines      lines               `yaml:"-"`
}

type rawWeComSendLimits struct {
	PerSecond        *float64 `yaml:"per_second"`
	PerChatPerMinute *float64 `yaml:"per_chat_per_minute"`
	Lines            lines    `yaml:"-"`
}

// rawRobot is one group robot (群机器人) of wecom.robots.
type rawRobot struct {
	Name      string   `yaml:"name"`
	KeyEnv    string   `yaml:"key_env"`
	PerMinute *float64 `yaml:"per_minute"`
	Lines     lines    `yaml:"-"`
}

type rawRules struct {
	Tolerance          *float64 `yaml:"tolerance"`
	SilentDays         *int     `yaml:"silent_days"`
	IndicatorTolerance *float64 `yaml:"indicator_tolerance"`
	UnitReports        *bool    `yaml:"unit_reports"`
	Lines              lines    `yaml:"-"`
}

type rawPerson struct {
	Key        string     `yaml:"key"`
	Name       string     `yaml:"name"`
	TelegramID int64      `yaml:"telegram_id"`
	WeComID    string     `yaml:"wecom_id"`
	Prefer     string     `yaml:"prefer"`
	Invite     string     `yaml:"invite"`
	Roles      []string   `yaml:"roles"`
	Unit       string     `yaml:"unit"`
	Principal  bool       `yaml:"principal"`
	Leave      []rawLeave `yaml:"leave"`
	Lines      lines      `yaml:"-"`
}

// rawLeave is one span a person is away (请假), both days included.
type rawLeave struct {
	From  string `yaml:"from"`
	To    string `yaml:"to"`
	Note  string `yaml:"note"`
	Lines lines  `yaml:"-"`
}

type rawSection struct {
	Code   string `yaml:"code"`
	Title  string `yaml:"title"`
	Leader string `yaml:"leader"`
	Lines  lines  `yaml:"-"`
}

type rawMilestone struct {
	Date    string  `yaml:"date"`
	Percent float64 `yaml:"percent"`
	Lines   lines   `yaml:"-"`
}

type rawItem struct {
	Code        string         `yaml:"code"`
	Section     string         `yaml:"section"`
	Title       string         `yaml:"title"`
	Description string         `yaml:"description"`
	Owners      []string       `yaml:"owners"`
	Leader      string         `yaml:"leader"`
	Start       string         `yaml:"start"`
	Due         string         `yaml:"due"`
	Target      string         `yaml:"target"`
	Milestones  []rawMilestone `yaml:"milestones"`
	Unit        string         `yaml:"unit"`
	Tally       string         `yaml:"tally"`
	Lines       lines          `yaml:"-"`
}

type rawIndicator struct {
	Key        string   `yaml:"key"`
	Name       string   `yaml:"name"`
	Aliases    []string `yaml:"aliases"`
	Unit       string   `yaml:"unit"`
	Target     string   `yaml:"target"`
	LastYear   string   `yaml:"last_year"`
	Accumulate string   `yaml:"accumulate"`
	Lines      lines    `yaml:"-"`
}

type rawReminder struct {
	Name               string   `yaml:"name"`
	Kind               string   `yaml:"kind"`
	Cron               string   `yaml:"cron"`
	To                 []string `yaml:"to"`
	WorkdaysOnly       bool     `yaml:"workdays_only"`
	WithinDays         *int     `yaml:"within_days"`
	LeaderAfterDays    *int     `yaml:"leader_after_days"`
	PrincipalAfterDays *int     `yaml:"principal_after_days"`
	Since              string   `yaml:"since"`
	Lines              lines    `yaml:"-"`
}

type rawLimits struct {
	PerPersonPerDay *int   `yaml:"per_person_per_day"`
	QuietHours      string `yaml:"quiet_hours"`
	CatchUpWindow   string `yaml:"catch_up_window"`
	Lines           lines  `yaml:"-"`
}

type rawCalendar struct {
	Holidays []string `yaml:"holidays"`
	Workdays []string `yaml:"workdays"`
	Lines    lines    `yaml:"-"`
}

// decoder walks one file's nodes and collects every problem it meets.
type decoder struct {
	file string
	errs *Errors
	// Anchors and aliases (&a, *a) are legal YAML; expanding guards
	// against an alias that contains itself.
	expanding map[*yaml.Node]bool
	// values counts the nodes decoded in the whole load (shared by its
	// files), each alias as the nodes it expands to, against MaxValues:
	// counting aliases alone let 3,000 of them expand to 30 million
	// values. Once over, nothing more is decoded.
	values *int
	// alias is the outermost alias being expanded, for the message.
	alias     *yaml.Node
	aliasPath string
}

// overBudget counts n and reports whether the load is past MaxValues,
// saying so once.
func (d *decoder) overBudget(n *yaml.Node, path string) bool {
	*d.values++
	switch {
	case *d.values <= MaxValues:
		return false
	case *d.values == MaxValues+1:
		if d.alias != nil {
			d.add(d.alias.Line, d.aliasPath, "内容太多：引用 *%s 展开后全部配置超过 %d 个值；请不要用引用（*别名）复制大段内容", d.alias.Value, MaxValues)
		} else {
			d.add(n.Line, path, "内容太多：全部配置超过 %d 个值", MaxValues)
		}
	}
	return true
}

func (d *decoder) add(line int, key, format string, args ...any) {
	d.errs.add(d.file, line, key, fmt.Sprintf(format, args...))
}

var linesType = reflect.TypeOf(lines(nil))

// decodeNode fills v from n; path is the key shown in messages ("items[3].due").
func (d *decoder) decodeNode(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind == yaml.AliasNode {
		target := n.Alias
		for target != nil && target.Kind == yaml.AliasNode {
			target = target.Alias
		}
		switch {
		case target == nil:
			d.add(n.Line, path, "引用 *%s 找不到对应的 &%s", n.Value, n.Value)
			return
		case d.expanding[target]:
			d.add(n.Line, path, "引用 *%s 指向了包含它自己的内容", n.Value)
			return
		}
		if d.expanding == nil {
			d.expanding = map[*yaml.Node]bool{}
		}
		d.expanding[target] = true
		defer delete(d.expanding, target)
		if d.alias == nil {
			d.alias, d.aliasPath = n, path
			defer func() { d.alias, d.aliasPath = nil, "" }()
		}
		n = target
	}
	if d.overBudget(n, path) {
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // an empty value leaves the default, as if the key were absent
	}
	switch v.Kind() {
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		d.decodeNode(n, path, elem.Elem())
		v.Set(elem)
	case reflect.Struct:
		d.decodeStruct(n, path, v)
	case reflect.Slice:
		d.decodeSlice(n, path, v)
	case reflect.String:
		if s, ok := d.scalar(n, path, "文字"); ok {
			v.SetString(s)
		}
	case reflect.Int, reflect.Int64:
		s, ok := d.scalar(n, path, "整数")
		if !ok {
			return
		}
		i, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
		if err != nil {
			d.add(n.Line, path, "%q 不是整数（expected a whole number）", s)
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		s, ok := d.scalar(n, path, "数字")
		if !ok {
			return
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f != f {
			d.add(n.Line, path, "%q 不是数字（expected a number）", s)
			return
		}
		v.SetFloat(f)
	case reflect.Bool:
		s, ok := d.scalar(n, path, "true 或 false")
		if !ok {
			return
		}
		switch s {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			d.add(n.Line, path, "%q 应为 true 或 false", s)
		}
	default:
		panic("config: unsupported field type " + v.Type().String())
	}
}

// scalar returns the text of a scalar exactly as written, so that an
// unquoted code like 2.30 stays "2.30" instead of becoming the number 2.3.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.add(n.Line, path, "应为%s，而不是%s", want, kindName(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) decodeSlice(n *yaml.Node, path string, v reflect.Value) {
	items := n.Content
	if n.Kind != yaml.SequenceNode {
		// A single value where a list is expected ("to: owners") is what
		// people write; accept it as a one-element list for plain text.
		if n.Kind == yaml.ScalarNode && v.Type().Elem().Kind() == reflect.String {
			items = []*yaml.Node{n}
		} else {
			d.add(n.Line, path, "应为列表（以 - 开头的多行，或 [a, b]），而不是%s", kindName(n))
			return
		}
	}
	out := reflect.MakeSlice(v.Type(), len(items), len(items))
	for i, child := range items {
		d.decodeNode(child, fmt.Sprintf("%s[%d]", path, i+1), out.Index(i))
	}
	v.Set(out)
}

func (d *decoder) decodeStruct(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		if path == "" {
			// The whole file is not a config (an env file, a list): its
			// text may be a secret, so it is not quoted.
			d.add(n.Line, path, "文件内容不是“键: 值”的映射：配置文件由 year:、people:、items: 这样的键组成（是否包含错了文件？）")
			return
		}
		d.add(n.Line, path, "应为“键: 值”的映射，而不是%s", kindName(n))
		return
	}
	t := v.Type()
	fields := map[string]int{}
	var names []string
	linesField := -1
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type == linesType {
			linesField = i
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		fields[tag] = i
		names = append(names, tag)
	}
	ln := lines{"": n.Line}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := k.Value
		sub := key
		if path != "" {
			sub = path + "." + key
		}
		idx, ok := fields[key]
		if !ok {
			near := nearest(key, names)
			if near == "" {
				d.add(k.Line, sub, "未知字段 %q，这里可用的字段：%s", key, strings.Join(names, ", "))
				continue
			}
			d.add(k.Line, sub, "未知字段 %q，是否应为 %q？", key, near)
			if _, given := ln[near]; given || hasKey(n, near) {
				continue
			}
			// Read the value as the key it was surely meant to be, so the
			// typo is reported once instead of again as "owners missing",
			// and the value itself still gets checked.
			key, idx = near, fields[near]
		}
		if first, dup := ln[key]; dup && key != "" {
			// YAML would quietly keep the last; an admin who pasted a
			// block twice means one of them.
			d.add(k.Line, sub, "字段 %q 重复：第 %d 行已写过；只保留一处", key, first)
			continue
		}
		ln[key] = k.Line
		d.decodeNode(val, sub, v.Field(idx))
	}
	if linesField >= 0 {
		v.Field(linesField).Set(reflect.ValueOf(ln))
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "映射（键: 值）"
	case yaml.SequenceNode:
		return "列表"
	default:
		return fmt.Sprintf("单个值 %q", n.Value)
	}
}

// nearest suggests the known key closest to a misspelt one, if any is close.
func nearest(key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if dist := editDistance(key, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best == "" {
		// "owner" for "owners", "time_zone" for "timezone".
		for _, k := range known {
			if strings.HasPrefix(k, key) || strings.HasPrefix(key, k) ||
				strings.ReplaceAll(key, "_", "") == strings.ReplaceAll(k, "_", "") {
				return k
			}
		}
	}
	return best
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = slices.Min([]int{prev[j] + 1, cur[j-1] + 1, prev[j-1] + cost})
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func hasKey(mapping *yaml.Node, key string) bool {
	for i := 0; i+1 < len(mapping.Content); i += 2 {
		if mapping.Content[i].Value == key {
			return true
		}
	}
	return false
}
