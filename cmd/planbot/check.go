package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

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
			fmt.Fprintln(e.stderr, pe.Error())
		}
		fmt.Fprintf(e.stderr, "配置有 %d 处错误（%d problem(s)）\n", len(list), len(list))
	} else {
		fmt.Fprintln(e.stderr, "planbot:", err)
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
				fmt.Fprintf(e.stdout, "配置无误（OK）：%d 人、%d 个板块、%d 个事项、%d 项指标、%d 个提醒（%s）\n",
					len(p.People), len(p.Sections), len(p.Items), len(p.Indicators), len(p.Reminders), cfg.Files[0])
				return exitOK
			}
		},
	}
}
