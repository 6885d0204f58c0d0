package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"planbot"
	"planbot/config"
)

// The wecom: section, people's wecom_id and prefer, and "robot:NAME" load
// as addresses, with the defaults filled in.
func TestLoadWeCom(t *testing.T) {
	cfg, err := config.Load("testdata/wecom_good.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &config.WeCom{BotID: "aibTEST0001", SecretEnv: "PLANBOT_WECOM_SECRET",
		URL: "wss://openws.work.weixin.qq.com", WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook",
		PerSecond: 10, PerChatPerMinute: 30,
		Robots: []config.Robot{{Name: "leaders", KeyEnv: "PLANBOT_WECOM_ROBOT_LEADERS", PerMinute: 20}}}
	if !reflect.DeepEqual(cfg.WeCom, want) {
		t.Errorf("wecom = %+v\nwant %+v", cfg.WeCom, want)
	}
	li, _ := cfg.Plan.Person("li_leader")
	if want := []planbot.UserID{"telegram:200", "wecom:lifenguan"}; !slices.Equal(li.Accounts, want) || li.Prefer != "wecom" {
		t.Errorf("li: accounts %v prefer %q; want %v (Telegram's first) and wecom", li.Accounts, li.Prefer, want)
	}
	zhao, _ := cfg.Plan.Person("zhao_cadre")
	if want := []planbot.UserID{"wecom:zhaoganbu"}; !slices.Equal(zhao.Accounts, want) || zhao.Prefer != "" || zhao.Chat() != "wecom:zhaoganbu" {
		t.Errorf("zhao: accounts %v prefer %q; want %v and none", zhao.Accounts, zhao.Prefer, want)
	}
	if got, want := cfg.Plan.Reminders[0].To, []string{"owners", "chat:wecomhook:leaders"}; !slices.Equal(got, want) {
		t.Errorf("to = %q, want %q", got, want)
	}
	t.Setenv("PLANBOT_WECOM_ROBOT_LEADERS", "k-1")
	t.Setenv("PLANBOT_WECOM_SECRET", "s-1")
	if got := cfg.WeCom.RobotKeys(); !reflect.DeepEqual(got, map[string]string{"leaders": "k-1"}) || cfg.WeCom.Secret() != "s-1" {
		t.Errorf("keys %v, secret %q: want them read from the environment", got, cfg.WeCom.Secret())
	}

	plain, err := config.Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if plain.WeCom != nil {
		t.Errorf("no wecom: section gave %+v, want nil (Telegram alone)", plain.WeCom)
	}
}

// Every setting of wecom: is read as written; an address loses a
// trailing slash, since the adapter adds its paths.
func TestLoadWeComSettings(t *testing.T) {
	data, err := os.ReadFile("testdata/wecom_good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "  bot_id: aibTEST0001\n", "  bot_id: aibTEST0001\n  secret_env: GOV_WECOM_SECRET\n"+
		"  url: ws://127.0.0.1:8080/\n  webhook_url: http://127.0.0.1:8081/cgi-bin/webhook/\n"+
		"  send_limits:\n    per_second: 5\n    per_chat_per_minute: 12\n", 1)
	text = strings.Replace(text, "      key_env: PLANBOT_WECOM_ROBOT_LEADERS\n", "      key_env: PLANBOT_WECOM_ROBOT_LEADERS\n      per_minute: 6\n", 1)
	cfg, err := config.Parse("wecom.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.WeCom
	if w.SecretEnv != "GOV_WECOM_SECRET" || w.URL != "ws://127.0.0.1:8080" || w.WebhookURL != "http://127.0.0.1:8081/cgi-bin/webhook" ||
		w.PerSecond != 5 || w.PerChatPerMinute != 12 || w.Robots[0].PerMinute != 6 {
		t.Errorf("wecom = %+v", w)
	}
}

// wecom: belongs to the main file, as bot: does.
func TestWeComOnlyInMainFile(t *testing.T) {
	dir := t.TempDir()
	main := "year: 2027\ninclude: [more.yaml]\n"
	more := "wecom:\n  bot_id: aibX\n"
	for name, text := range map[string]string{"main.yaml": main, "more.yaml": more} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, err := config.Load(filepath.Join(dir, "main.yaml"))
	if err == nil || !strings.Contains(err.Error(), "more.yaml:1: wecom: wecom 只能写在主文件") {
		t.Errorf("wecom: in an included file: %v", err)
	}
}

// Each bad fixture differs from wecom_good.yaml (or good.yaml, for what
// needs no wecom:) by one mistake; the messages are what an admin reads,
// so they are asserted exactly. A secret pasted where its variable's name
// belongs is never quoted back whole.
func TestLoadBadWeCom(t *testing.T) {
	tests := []struct{ file, want string }{
		{"wecom_unknown_key.yaml", `testdata/wecom_unknown_key.yaml:6: wecom.robots[1].key_evn: 未知字段 "key_evn"，是否应为 "key_env"？`},
		{"wecom_missing_bot_id.yaml", `testdata/wecom_missing_bot_id.yaml:2: wecom: 缺少 bot_id：应写企业微信智能机器人的 BotID（管理后台“智能机器人”详情页里，以 aib 开头），如 bot_id: aibXXXXXXXX`},
		{"wecom_bad_name.yaml", `testdata/wecom_bad_name.yaml:4: wecom.name: "@督办 助手" 不是机器人的名字：写企业微信里显示的名字本身，不含空格和 @，如 督办助手`},
		{"wecom_secret_in_env.yaml", `testdata/wecom_secret_in_env.yaml:4: wecom.secret_env: "Xq3v…" 不是环境变量名：这里写保存 Secret 的环境变量的名字（如 PLANBOT_WECOM_SECRET），Secret 本身不要写进文件`},
		{"wecom_bad_url.yaml", `testdata/wecom_bad_url.yaml:4: wecom.url: "openws.work.weixin.qq.com" 格式不对：应为 wss://主机 这样的地址（政务微信等私有部署填其长连接地址）；不写即用 wss://openws.work.weixin.qq.com`},
		{"wecom_webhook_with_key.yaml", `testdata/wecom_webhook_with_key.yaml:4: wecom.webhook_url: 不要把群机器人的 key 写进文件：webhook_url 只写到 …/cgi-bin/webhook 为止，key 放进 robots 里 key_env 指定的环境变量`},
		{"wecom_limit_range.yaml", `testdata/wecom_limit_range.yaml:5: wecom.send_limits.per_chat_per_minute: 0 超出范围：应在 0.1 与 10000 之间`},
		{"robot_bad_name.yaml", `testdata/robot_bad_name.yaml:5: wecom.robots[1].name: "Leaders群" 不能用作群机器人的名字：只能用小写英文字母、数字、_ 和 -，如 leaders`},
		{"robot_duplicate.yaml", `testdata/robot_duplicate.yaml:7: wecom.robots[2].name: 群机器人名字 "leaders" 重复：已在 testdata/robot_duplicate.yaml:5 定义`},
		{"robot_missing_key_env.yaml", `testdata/robot_missing_key_env.yaml:5: wecom.robots[1]: 缺少 key_env：应写保存这个群机器人 key 的环境变量的名字，如 key_env: PLANBOT_WECOM_ROBOT_LEADERS`},
		{"robot_key_in_env.yaml", `testdata/robot_key_in_env.yaml:6: wecom.robots[1].key_env: "693a…" 不是环境变量名：这里写保存群机器人 key（Webhook 地址里 key= 后面的部分）的环境变量的名字（如 PLANBOT_WECOM_ROBOT_LEADERS），key 本身不要写进文件`},
		{"robot_unknown.yaml", `testdata/robot_unknown.yaml:43: reminders[1].to[2]: 群机器人 "leader" 不在 wecom.robots 中，是否应为 "leaders"？`},
		{"robot_without_wecom.yaml", `testdata/robot_without_wecom.yaml:36: reminders[1].to[2]: "robot:leaders" 无效：主文件没有 wecom: 设置，也就没有群机器人。请在 wecom.robots 里添加名为 leaders 的群机器人`},
		{"wecom_bad_id.yaml", `testdata/wecom_bad_id.yaml:16: people[2].wecom_id: "赵 干部" 不是企业微信账号：应写成员的账号（UserID，管理后台“通讯录”成员详情里的“账号”），只含英文字母、数字和 _ - @ .，如 zhangsan`},
		{"wecom_duplicate_id.yaml", `testdata/wecom_duplicate_id.yaml:16: people[2].wecom_id: wecom_id "LiFenGuan" 重复：已用于 testdata/wecom_duplicate_id.yaml:11`},
		{"wecom_id_without_wecom.yaml", `testdata/wecom_id_without_wecom.yaml:10: people[2].wecom_id: 写了 wecom_id，但主文件没有 wecom: 设置：机器人不连接企业微信，此人收不到企业微信消息。请添加 wecom: 设置（见 config.example.yaml），或删掉这一行`},
		{"wecom_cadre_without_id.yaml", `testdata/wecom_cadre_without_id.yaml:14: people[2]: 干部 赵干部 既没有 telegram_id、wecom_id 也没有 invite：无法收到提醒，请填写其 Telegram 数字 id 或企业微信账号（wecom_id），或设一个邀请码让其发送 /start 邀请码 绑定`},
		{"prefer_unknown.yaml", `testdata/prefer_unknown.yaml:12: people[1].prefer: "weixin" 无效：应为 telegram 或 wecom（提醒发到哪个平台）；不写则发到此人最近用过的平台`},
		{"prefer_without_account.yaml", `testdata/prefer_without_account.yaml:11: people[1].prefer: prefer: wecom，但此人既没有 wecom_id 也没有 invite：没有企业微信账号可发。请填写 wecom_id，或删掉 prefer`},
		{"prefer_telegram_without_account.yaml", `testdata/prefer_telegram_without_account.yaml:17: people[2].prefer: prefer: telegram，但此人既没有 telegram_id 也没有 invite：没有 Telegram 账号可发。请填写 telegram_id，或删掉 prefer`},
		{"prefer_wecom_without_wecom.yaml", `testdata/prefer_wecom_without_wecom.yaml:10: people[2].prefer: prefer: wecom，但主文件没有 wecom: 设置：机器人不连接企业微信。请添加 wecom: 设置，或删掉 prefer`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := config.Load(filepath.Join("testdata", tt.file))
			var list config.Errors
			if !errors.As(err, &list) {
				t.Fatalf("Load = %v, want config.Errors", err)
			}
			if got := list.Error(); got != tt.want {
				t.Errorf("errors:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// A person reachable by invite alone may prefer a platform: the account
// the invite binds may be there.
func TestPreferWithInvite(t *testing.T) {
	data, err := os.ReadFile("testdata/wecom_good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "    wecom_id: zhaoganbu\n", "    invite: ZHAO-2027-x\n    prefer: telegram\n", 1)
	cfg, err := config.Parse("invite.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if zhao, _ := cfg.Plan.Person("zhao_cadre"); zhao.Prefer != "telegram" || len(zhao.Accounts) != 0 {
		t.Errorf("zhao = %+v, want prefer telegram and no account until bound", zhao)
	}
}

// The example's commented-out wecom: block is valid as written once its
// "# " are taken off, as its comments tell the admin to do.
func TestExampleWeComBlock(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	start := slices.Index(lines, "# wecom:")
	if start < 0 {
		t.Fatal("the example has no commented-out wecom: block")
	}
	for i := start; i < len(lines) && strings.HasPrefix(lines[i], "# "); i++ {
		lines[i] = strings.TrimPrefix(lines[i], "# ")
	}
	cfg, err := config.Parse("example.yaml", []byte(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatalf("the example with its wecom: block: %v", err)
	}
	if w := cfg.WeCom; w == nil || w.BotID == "" || len(w.Robots) != 1 || w.Robots[0].Name != "leaders" {
		t.Errorf("wecom = %+v, want the example's bot and its robot", w)
	}
}
