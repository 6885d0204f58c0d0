package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

var (
	// robotPattern is a group robot's name: it is written in reminders as
	// "robot:NAME" and becomes the chat "wecomhook:NAME", so it is kept to
	// what reads the same everywhere.
	robotPattern = regexp.MustCompile(`^[a-z0-9_-]+$`)
	// wecomIDPattern is a WeCom UserID as its admin console allows it
	// (letters, digits and _-@., at most 64 bytes, starting with a letter
	// or digit); the encrypted ids WeCom gives a bot not made by a super
	// admin fit it too. It never holds a colon, so the account's address
	// "wecom:<userid>" reads back unambiguously.
	wecomIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$`)
)

// wecom checks the wecom: section of the main file. Its presence is what
// makes the bot serve WeCom, so a present section needs the bot's id; the
// rest has defaults.
func (b *builder) wecom() {
	b.robots = map[string]at{}
	main := b.files[0]
	rw := main.raw.WeCom
	if rw == nil {
		return
	}
	out := &WeCom{SecretEnv: DefaultWeComSecretEnv, URL: DefaultWeComURL, WebhookURL: DefaultWeComWebhookURL,
		PerSecond: DefaultWeComPerSecond, PerChatPerMinute: DefaultWeComPerChatPerMinute}
	b.cfg.WeCom = out
	in := func(key string) at { return at{main.name, rw.Lines.of(key), "wecom." + key} }
	switch id := strings.TrimSpace(rw.BotID); {
	case id == "":
		b.e(b.top("wecom"), "缺少 bot_id：应写企业微信智能机器人的 BotID（管理后台“智能机器人”详情页里，以 aib 开头），如 bot_id: aibXXXXXXXX")
	case strings.ContainsAny(id, " \t:"):
		b.e(in("bot_id"), "%q 不是 BotID：BotID 不含空格和冒号，以 aib 开头，如 aibXXXXXXXX", redactToken(id))
	default:
		out.BotID = id
	}
	// Optional: WeCom sends a group message to the bot only when it @s the
	// bot, so the adapter knows the mention without the name; the name
	// only makes the bot's hints ("请私聊 @督办助手") read as people see it.
	if name := strings.TrimSpace(rw.Name); strings.ContainsAny(name, " \t@") {
		b.e(in("name"), "%q 不是机器人的名字：写企业微信里显示的名字本身，不含空格和 @，如 督办助手", name)
	} else {
		out.Name = name
	}
	if rw.SecretEnv != "" {
		if !envName(rw.SecretEnv) {
			b.e(in("secret_env"), "%q 不是环境变量名：这里写保存 Secret 的环境变量的名字（如 PLANBOT_WECOM_SECRET），Secret 本身不要写进文件", redactToken(rw.SecretEnv))
		} else {
			out.SecretEnv = rw.SecretEnv
		}
	}
	if rw.URL != "" {
		if u, ok := endpoint(rw.URL, "ws", "wss"); !ok {
			b.e(in("url"), "%q 格式不对：应为 wss://主机 这样的地址（政务微信等私有部署填其长连接地址）；不写即用 %s", rw.URL, DefaultWeComURL)
		} else {
			out.URL = u
		}
	}
	if rw.WebhookURL != "" {
		switch u, ok := endpoint(rw.WebhookURL, "http", "https"); {
		case strings.Contains(rw.WebhookURL, "?"):
			// The address copied from the robot's page ends in ?key=…:
			// that is the robot's secret, so it is not quoted back.
			b.e(in("webhook_url"), "不要把群机器人的 key 写进文件：webhook_url 只写到 …/cgi-bin/webhook 为止，key 放进 robots 里 key_env 指定的环境变量")
		case !ok:
			b.e(in("webhook_url"), "%q 格式不对：应为 https://主机/cgi-bin/webhook 这样的地址；不写即用 %s", rw.WebhookURL, DefaultWeComWebhookURL)
		default:
			out.WebhookURL = u
		}
	}
	if lim := rw.Limits; lim != nil {
		lin := func(key string) at { return at{main.name, lim.Lines.of(key), "wecom.send_limits." + key} }
		b.rate(lin("per_second"), lim.PerSecond, &out.PerSecond)
		b.rate(lin("per_chat_per_minute"), lim.PerChatPerMinute, &out.PerChatPerMinute)
	}
	for i, r := range rw.Robots {
		if robot, ok := b.robot(i, r); ok {
			out.Robots = append(out.Robots, robot)
		}
	}
}

// robot checks wecom.robots[i]; ok is false when it cannot be used.
func (b *builder) robot(i int, r rawRobot) (Robot, bool) {
	file := b.files[0].name
	key := fmt.Sprintf("wecom.robots[%d]", i+1)
	in := func(k string) at { return at{file, r.Lines.of(k), key + "." + k} }
	out := Robot{Name: r.Name, KeyEnv: r.KeyEnv, PerMinute: DefaultRobotPerMinute}
	ok := true
	switch {
	case r.Name == "":
		b.e(at{file, r.Lines.of(""), key}, "缺少 name：应写群机器人的名字（小写英文字母、数字、_ 或 -），提醒的 to 里写 robot:名字，如 name: leaders")
		ok = false
	case b.robots[r.Name].file != "":
		b.e(in("name"), "群机器人名字 %q 重复：已在 %s 定义", r.Name, b.robots[r.Name].pos())
		ok = false
	case !robotPattern.MatchString(r.Name):
		b.e(in("name"), "%q 不能用作群机器人的名字：只能用小写英文字母、数字、_ 和 -，如 leaders", r.Name)
		// Known all the same, so a reminder naming it is not told
		// again that there is no such robot.
		b.robots[r.Name] = in("name")
		ok = false
	default:
		b.robots[r.Name] = in("name")
	}
	switch {
	case r.KeyEnv == "":
		b.e(at{file, r.Lines.of(""), key}, "缺少 key_env：应写保存这个群机器人 key 的环境变量的名字，如 key_env: PLANBOT_WECOM_ROBOT_LEADERS")
		ok = false
	case !envName(r.KeyEnv):
		b.e(in("key_env"), "%q 不是环境变量名：这里写保存群机器人 key（Webhook 地址里 key= 后面的部分）的环境变量的名字（如 PLANBOT_WECOM_ROBOT_LEADERS），key 本身不要写进文件", redactToken(r.KeyEnv))
		ok = false
	}
	b.rate(in("per_minute"), r.PerMinute, &out.PerMinute)
	return out, ok
}

// envName reports whether s can be the name of the environment variable
// holding a secret, and not the secret itself pasted in its place: a
// Telegram token has a colon, a robot's key dashes, but WeCom's Secret may
// be letters and digits only, which a shell would take as a name. No one
// names a variable with 24 characters of mixed case and digits and no
// underscore; a secret looks like that.
func envName(s string) bool {
	if !envPattern.MatchString(s) {
		return false
	}
	lower := strings.ToUpper(s) != s
	digit := strings.ContainsAny(s, "0123456789")
	return len(s) < 24 || strings.Contains(s, "_") || !lower || !digit
}

// rate checks a send limit written at a (messages per second or per
// minute) and sets dst to it.
func (b *builder) rate(a at, v *float64, dst *float64) {
	if v == nil {
		return
	}
	if *v < 0.1 || *v > 10000 {
		b.e(a, "%v 超出范围：应在 %v 与 %v 之间", *v, 0.1, 10000)
		return
	}
	*dst = *v
}

// endpoint reads a server's address: one of schemes, a host, no query or
// fragment. It is returned without a trailing slash, for the adapter to
// add its paths to.
func endpoint(s string, schemes ...string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	for _, sc := range schemes {
		if u.Scheme == sc {
			return strings.TrimRight(u.String(), "/"), true
		}
	}
	return "", false
}

// wecomAccount checks people[i].wecom_id and prefer, and adds the WeCom
// account to the person's; wecomIDs are the ids seen so far, which must
// not repeat. WeCom compares UserIDs without regard to case, so neither
// does the check for repeats.
func (b *builder) wecomAccount(in func(string) at, p rawPerson, wecomIDs map[string]at) (account string) {
	id := strings.TrimSpace(p.WeComID)
	switch {
	case id == "":
		return ""
	case !wecomIDPattern.MatchString(id):
		b.e(in("wecom_id"), "%q 不是企业微信账号：应写成员的账号（UserID，管理后台“通讯录”成员详情里的“账号”），只含英文字母、数字和 _ - @ .，如 zhangsan", p.WeComID)
		return ""
	case b.cfg.WeCom == nil:
		b.e(in("wecom_id"), "写了 wecom_id，但主文件没有 wecom: 设置：机器人不连接企业微信，此人收不到企业微信消息。请添加 wecom: 设置（见 config.example.yaml），或删掉这一行")
		return ""
	}
	if prev, dup := wecomIDs[strings.ToLower(id)]; dup {
		b.e(in("wecom_id"), "wecom_id %q 重复：已用于 %s", id, prev.pos())
	} else {
		wecomIDs[strings.ToLower(id)] = in("wecom_id")
	}
	return id
}

// prefer checks people[i].prefer: a platform the person can be reached on
// (an account there, or an invite that may bind one).
func (b *builder) prefer(in func(string) at, p rawPerson) string {
	pref := strings.TrimSpace(p.Prefer)
	switch pref {
	case "":
		return ""
	case telegramPlatform:
		if p.TelegramID > 0 || p.Invite != "" {
			return pref
		}
		b.e(in("prefer"), "prefer: telegram，但此人既没有 telegram_id 也没有 invite：没有 Telegram 账号可发。请填写 telegram_id，或删掉 prefer")
	case wecomPlatform:
		hasID := strings.TrimSpace(p.WeComID) != ""
		switch {
		case b.cfg.WeCom == nil:
			if !hasID { // else wecom_id says it already
				b.e(in("prefer"), "prefer: wecom，但主文件没有 wecom: 设置：机器人不连接企业微信。请添加 wecom: 设置，或删掉 prefer")
			}
		case hasID || p.Invite != "":
			return pref
		default:
			b.e(in("prefer"), "prefer: wecom，但此人既没有 wecom_id 也没有 invite：没有企业微信账号可发。请填写 wecom_id，或删掉 prefer")
		}
	default:
		b.e(in("prefer"), "%q 无效：应为 telegram 或 wecom（提醒发到哪个平台）；不写则发到此人最近用过的平台", p.Prefer)
	}
	return ""
}

// robotRecipient turns a reminder's "robot:NAME" into the address of that
// group robot's chat, "chat:wecomhook:NAME"; "" when NAME is no robot of
// wecom.robots (reported at a).
func (b *builder) robotRecipient(a at, to string) string {
	name := strings.TrimPrefix(to, "robot:")
	if _, ok := b.robots[name]; ok {
		return "chat:" + wecomHookPlatform + ":" + name
	}
	switch near := nearest(name, keysOf(b.robots)); {
	case b.cfg.WeCom == nil:
		b.e(a, "%q 无效：主文件没有 wecom: 设置，也就没有群机器人。请在 wecom.robots 里添加名为 %s 的群机器人", to, name)
	case len(b.robots) == 0:
		b.e(a, "群机器人 %q 不在 wecom.robots 中：wecom.robots 里还没有群机器人", name)
	case near != "":
		b.e(a, "群机器人 %q 不在 wecom.robots 中，是否应为 %q？", name, near)
	default:
		b.e(a, "群机器人 %q 不在 wecom.robots 中：现有 %s", name, strings.Join(keysOf(b.robots), "、"))
	}
	return ""
}
