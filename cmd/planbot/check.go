package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"

	"planbot"
	"planbot/config"
)

func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "YAML configuration `file` (default: the built-in example)")
}

// loadConfig reads the named file, or the built-in example when path is "".
// On failure it prints every problem and returns nil.
func loadConfig(e *env, path string) *config.Config {
	var cfg *config.Config
	var err error
	if path == "" {
		cfg, err = config.Parse(planbot.ExampleConfigName, planbot.ExampleConfig)
	} else {
		cfg, err = config.Load(path)
	}
	if err == nil {
		return cfg
	}
	var list config.Errors
	if errors.As(err, &list) {
		for _, pe := range list {
			fmt.Fprintln(e.stderr, redactTokens(e, pe.Error()))
		}
		fmt.Fprintf(e.stderr, "配置有 %d 处错误（%d problem(s)）\n", len(list), len(list))
	} else {
		fmt.Fprintln(e.stderr, "planbot:", redactTokens(e, err.Error()))
	}
	return nil
}

func checkCommand() command {
	return command{
		name:    "check",
		summary: "validate the configuration and list every problem with file:line",
		flags: func(fs *flag.FlagSet) func(context.Context, *env) int {
			path := configFlag(fs)
			return func(_ context.Context, e *env) int {
				cfg := loadConfig(e, *path)
				if cfg == nil {
					return exitFail
				}
				p := cfg.Plan
				if ep := cfg.Bot.APIEndpoint; redactTokens(e, ep, cfg.Bot.TokenEnv) != ep {
					fmt.Fprintf(e.stderr, "注意：bot.api_endpoint 里写着令牌（已隐去）：应写 bot%%s/%%s，令牌只放在环境变量 %s 中\n", cfg.Bot.TokenEnv)
				}
				fmt.Fprintf(e.stdout, "配置无误（OK）：%d 人、%d 个板块、%d 个事项、%d 项指标、%d 个提醒（%s）\n",
					len(p.People), len(p.Sections), len(p.Items), len(p.Indicators), len(p.Reminders), cfg.Files[0])
				if w := cfg.WeCom; w != nil {
					// The file is right; run also needs the secrets, which
					// only the server's environment holds.
					envs := []string{w.SecretEnv}
					for _, r := range w.Robots {
						envs = append(envs, r.KeyEnv)
					}
					for _, name := range envs {
						if e.getenv(name) == "" {
							fmt.Fprintf(e.stdout, "注意：环境变量 %s 还没有设置，planbot run 会拒绝启动（见 README“企业微信”）\n", name)
						}
					}
				}
				return exitOK
			}
		},
	}
}

// tokenShape is what a Telegram bot token looks like: the bot's numeric
// id, a colon, a secret of 35 URL-safe characters (a little looser here).
var tokenShape = regexp.MustCompile(`[0-9]{3,}:[A-Za-z0-9_-]{20,}`)

// redactTokens hides bot tokens in s, a problem or a value read from the
// configuration: the token in the environment variables named by envs
// (and the default one, since a configuration that failed to load names
// none), and anything shaped like a token, which is the case of a token
// pasted into api_endpoint while the environment holds another or none.
func redactTokens(e *env, s string, envs ...string) string {
	getenv := e.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, name := range append(envs, config.DefaultTokenEnv) {
		if tok := getenv(name); len(tok) >= 6 {
			s = strings.ReplaceAll(s, tok, "<token>")
		}
	}
	return tokenShape.ReplaceAllString(s, "<token>")
}
