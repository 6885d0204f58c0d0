// Package config owns the YAML that admins write: it reads the main file and
// its includes strictly (an unknown key is an error), fills defaults,
// validates every cross-reference, and returns either a planbot.Plan with the
// bot settings or every problem at once, each with file, line and key.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"time"
	_ "time/tzdata" // Asia/Shanghai must load on a server without zoneinfo

	"go.yaml.in/yaml/v3"

	"planbot"
)

// Defaults for what the file may leave out.
const (
	DefaultTimezone          = "Asia/Shanghai"
	DefaultDatabase          = "planbot.db"
	DefaultTokenEnv          = "PLANBOT_TELEGRAM_TOKEN"
	DefaultUndoWindow        = 24 * time.Hour
	DefaultJumpShare         = 0.5
	DefaultPerSecond         = 30
	DefaultPerChatSeconds    = 1
	DefaultPerGroupPerMinute = 20

	// WeCom's: the public cloud's endpoints, and the send limits its
	// documentation gives (30 messages a minute to one chat, 20 a minute
	// to one group robot); 10 a second in all keeps well under the rest.
	DefaultWeComSecretEnv        = "PLANBOT_WECOM_SECRET"
	DefaultWeComURL              = "wss://openws.work.weixin.qq.com"
	DefaultWeComWebhookURL       = "https://qyapi.weixin.qq.com/cgi-bin/webhook"
	DefaultWeComPerSecond        = 10
	DefaultWeComPerChatPerMinute = 30
	DefaultRobotPerMinute        = 20
)

// telegramPlatform is the Telegram adapter's platform name: package
// telegram's Platform, spelled out here because config does not import
// the adapter (cmd/planbot wires the two together). The YAML speaks
// Telegram's numbers: a person's telegram_id is an account there, and the
// number in bot.admin_chat or a reminder's "chat:N" a chat there; config
// hands them on as addresses.
const telegramPlatform = "telegram"

// The WeCom adapter's platform names (package wecom's Platform and
// HookPlatform), spelled out for the same reason: a person's wecom_id is
// an account "wecom:<userid>", and a reminder's "robot:NAME" the chat
// "wecomhook:NAME" of that group robot.
const (
	wecomPlatform     = "wecom"
	wecomHookPlatform = "wecomhook"
)

// telegramChat is the address of Telegram chat n, as the adapter writes it.
func telegramChat(n int64) planbot.ChatID {
	return planbot.NewChatID(telegramPlatform, strconv.FormatInt(n, 10))
}

// Config is a loaded, valid configuration.
type Config struct {
	Files    []string // every file read, the main file first
	Database string   // SQLite path; a relative path is relative to the main file's directory
	Bot      Bot
	// WeCom is the wecom: section; nil when the file has none, and the
	// bot then serves Telegram alone.
	WeCom *WeCom
	Plan  *planbot.Plan
}

// Bot holds the bot's settings: the Telegram connection's and the
// conversation's. The token itself is never in a file: only the name of the
// environment variable that holds it.
type Bot struct {
	TokenEnv    string
	APIEndpoint string // "" for api.telegram.org, else http://host:port/bot%s/%s
	// AdminChat receives the bot's own alarms (bot.admin_chat, a Telegram
	// group's number, as its address); "" when the YAML names none (0 or
	// absent), and the alarms go to every admin's private chat.
	AdminChat planbot.ChatID
	// UndoWindow is how long after sending a report /undo may withdraw it.
	UndoWindow time.Duration
	// JumpShare: an indicator value rising by more than this share of the
	// annual target in one report is confirmed before it is recorded.
	JumpShare float64
	// Send limits, Telegram's by default: about 30 messages a second in
	// all, one a second to a chat, 20 a minute to a group.
	PerSecond, PerChatSeconds, PerGroupPerMinute float64
}

// Token reads the bot token from the configured environment variable.
func (b Bot) Token() string { return os.Getenv(b.TokenEnv) }

// WeCom holds the WeCom settings: the AI bot (智能机器人) that people chat
// with over a long connection, and the group robots (群机器人) reminders
// may be posted to. As with the token, the secrets are never in a file:
// only the names of the environment variables that hold them.
type WeCom struct {
	BotID     string // the AI bot's BotID; not a secret
	SecretEnv string // the environment variable holding the AI bot's Secret
	// Name is the AI bot's name as WeCom shows it and people @ it in a
	// group ("督办助手"): a group message is for the bot when it names it.
	Name string
	// URL is the long connection's address; WebhookURL the group robots'
	// base, to which the adapter adds /send?key=… Both default to the
	// public cloud's; a private deployment (政务微信) has its own.
	URL, WebhookURL string
	// Send limits of the AI bot: messages a second in all, and a minute
	// to one chat.
	PerSecond, PerChatPerMinute float64
	Robots                      []Robot
}

// Robot is one group robot: a reminder recipient "robot:Name" posts to
// its group through the webhook whose key is in the environment variable
// KeyEnv.
type Robot struct {
	Name      string
	KeyEnv    string
	PerMinute float64 // messages a minute to its group
}

// Secret reads the AI bot's Secret from the configured environment
// variable.
func (w WeCom) Secret() string { return os.Getenv(w.SecretEnv) }

// Key reads the robot's webhook key from its environment variable.
func (r Robot) Key() string { return os.Getenv(r.KeyEnv) }

// RobotKeys maps each robot's name to its webhook key, read from the
// environment; a robot whose variable is unset or empty maps to "".
func (w WeCom) RobotKeys() map[string]string {
	out := make(map[string]string, len(w.Robots))
	for _, r := range w.Robots {
		out[r.Name] = r.Key()
	}
	return out
}

// Load reads the configuration at path and the files it includes.
func Load(path string) (*Config, error) {
	dir := filepath.Dir(path)
	l := &loader{read: func(name string) ([]byte, string, error) {
		if name == path {
			data, err := readRegular(path, name, false)
			return data, path, err
		}
		open, display, err := includePath(dir, name)
		if err != nil {
			return nil, display, err
		}
		data, err := readRegular(open, name, true)
		return data, display, err
	}}
	cfg, err := l.load(path)
	if err != nil {
		return nil, err
	}
	if !filepath.IsAbs(cfg.Database) {
		cfg.Database = filepath.Join(dir, cfg.Database)
	}
	return cfg, nil
}

// Parse reads one configuration document held in memory (the embedded
// example); name is what messages call it. Includes are not allowed.
func Parse(name string, data []byte) (*Config, error) {
	l := &loader{read: func(n string) ([]byte, string, error) {
		if n == name {
			return data, name, nil
		}
		return nil, n, fmt.Errorf("%s 不是磁盘上的文件，不能包含其他文件", name)
	}}
	return l.load(name)
}

type loader struct {
	read   func(name string) (data []byte, display string, err error)
	errs   Errors
	files  []string
	values int // nodes decoded so far, against MaxValues
}

func (l *loader) load(path string) (*Config, error) {
	main, ok := l.parseFile(path, nil)
	if !ok {
		return nil, l.errs
	}
	files := []fileRaw{main}
	includes := main.raw.Include
	if len(includes) > MaxIncludes {
		l.errs.add(main.name, main.raw.Lines.of("include"), "include", fmt.Sprintf("include 写了 %d 个文件，最多 %d 个", len(includes), MaxIncludes))
		includes = includes[:MaxIncludes]
	}
	for i, inc := range includes {
		if l.values > MaxValues {
			break // said once; reading on would only cost
		}
		from := &at{main.name, main.raw.Lines.of("include"), fmt.Sprintf("include[%d]", i+1)}
		sub, ok := l.parseFile(inc, from)
		if !ok {
			continue
		}
		if len(sub.raw.Include) > 0 {
			l.errs.add(sub.name, sub.raw.Lines.of("include"), "include", "被包含的文件不能再包含其他文件（只有主文件可以写 include）")
		}
		for _, key := range []string{"year", "timezone", "database", "bot", "wecom", "rules", "reminder_limits"} {
			if ln, ok := sub.raw.Lines[key]; ok {
				l.errs.add(sub.name, ln, key, fmt.Sprintf("%s 只能写在主文件 %s 中", key, main.name))
			}
		}
		files = append(files, sub)
	}
	if l.values > MaxValues {
		// What was decoded is cut off at an arbitrary point: checking it
		// would add thousands of problems that are not the admin's.
		return nil, l.errs.sorted(l.rank())
	}
	cfg := l.build(files)
	if len(l.errs) > 0 {
		return nil, l.errs.sorted(l.rank())
	}
	cfg.Files = l.files
	return cfg, nil
}

// rank orders the files as they were read, for sorting problems.
func (l *loader) rank() map[string]int {
	rank := map[string]int{}
	for i, f := range l.files {
		rank[f] = i
	}
	return rank
}

// fileRaw is one decoded file.
type fileRaw struct {
	name string
	raw  rawFile
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// parseFile reads and decodes one file; from is the include that named it,
// where a file that can't be read is reported (nil for the main file).
func (l *loader) parseFile(name string, from *at) (fileRaw, bool) {
	data, display, err := l.read(name)
	if err != nil {
		msg := "无法读取文件：" + err.Error()
		var refused *refusal
		if errors.Is(err, fs.ErrNotExist) {
			msg = "文件不存在"
		} else if errors.As(err, &refused) {
			if from != nil {
				l.errs.add(from.file, from.line, from.key, refused.msg)
			} else {
				l.errs.add(display, 0, "", refused.msg)
			}
			return fileRaw{name: display}, false
		}
		if from != nil {
			l.errs.add(from.file, from.line, from.key, fmt.Sprintf("%s：%s", display, msg))
		} else {
			l.errs.add(display, 0, "", msg)
		}
		return fileRaw{name: display}, false
	}
	l.files = append(l.files, display)
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := yamlSyntax(data, err)
		l.errs.add(display, line, "", msg)
		return fileRaw{name: display}, false
	}
	if len(doc.Content) == 0 {
		l.errs.add(display, 0, "", "文件是空的")
		return fileRaw{name: display}, false
	}
	f := fileRaw{name: display}
	d := decoder{file: display, errs: &l.errs, values: &l.values}
	d.decodeNode(doc.Content[0], "", reflect.ValueOf(&f.raw).Elem())
	return f, true
}
