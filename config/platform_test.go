package config_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"planbot"
	"planbot/config"
)

// The YAML speaks Telegram's numbers; what config hands on is addresses,
// so the rest of the bot names no platform.
func TestTelegramNumbersBecomeAddresses(t *testing.T) {
	data, err := os.ReadFile("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Bot.AdminChat != "" {
		t.Errorf("admin chat without bot.admin_chat = %q, want none", cfg.Bot.AdminChat)
	}
	zhao, _ := cfg.Plan.Person("zhao_cadre")
	if want := []planbot.UserID{"telegram:300"}; !slices.Equal(zhao.Accounts, want) || zhao.Chat() != "telegram:300" {
		t.Errorf("telegram_id 300: accounts %v, chat %q; want %v, telegram:300", zhao.Accounts, zhao.Chat(), want)
	}

	text := strings.Replace(string(data), "year: 2027\n", "year: 2027\nbot:\n  admin_chat: -100777\n", 1)
	text = strings.Replace(text, "    to: owners\n", "    to: [owners, \"chat:-100123\", \"chat:+0042\"]\n", 1)
	text = strings.Replace(text, "    telegram_id: 200\n", "", 1)
	text = strings.Replace(text, "    name: 李分管\n", "    name: 李分管\n    invite: LI-2027-x\n", 1)
	cfg, err = config.Parse("addr.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Bot.AdminChat != "telegram:-100777" {
		t.Errorf("admin_chat -100777 = %q, want telegram:-100777", cfg.Bot.AdminChat)
	}
	// The number is read, so a chat has one address however it is written.
	if got, want := cfg.Plan.Reminders[0].To, []string{"owners", "chat:telegram:-100123", "chat:telegram:42"}; !slices.Equal(got, want) {
		t.Errorf("to = %q, want %q", got, want)
	}
	if li, _ := cfg.Plan.Person("li_leader"); len(li.Accounts) != 0 || li.Chat() != "" {
		t.Errorf("a person with an invite only: accounts %v, want none until bound", li.Accounts)
	}
}

// The YAML form is checked as before, with the same words.
func TestTelegramNumbersChecked(t *testing.T) {
	data, err := os.ReadFile("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "    telegram_id: 200\n", "    telegram_id: -200\n", 1)
	text = strings.Replace(text, "    to: owners\n", "    to: [\"chat:telegram:-100123\"]\n", 1)
	_, err = config.Parse("bad.yaml", []byte(text))
	want := `bad.yaml:5: people[1].telegram_id: -200 不是用户 id：个人的 Telegram 数字 id 是正数（群组 id 才是负数）` + "\n" +
		`bad.yaml:36: reminders[1].to[1]: "chat:telegram:-100123" 无效：应为 chat: 加群组的数字 id，如 chat:-1001234567890`
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}
