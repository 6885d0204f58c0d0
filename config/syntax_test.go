package config_test

import (
	"errors"
	"path/filepath"
	"testing"

	"planbot/config"
)

// A YAML syntax error says in Chinese what is wrong, on the line to fix,
// and names the likely cause when the line shows it. Each fixture is
// good.yaml with one slip an admin makes in a Chinese editor.
func TestYAMLSyntaxInChinese(t *testing.T) {
	for _, tt := range []struct{ file, want string }{
		{"syntax_fullwidth_colon.yaml", `testdata/syntax_fullwidth_colon.yaml:18: YAML 格式错误：找不到键后面的冒号“:”。这一行用了全角冒号“：”：请改成半角冒号“:”，后面加一个空格`},
		{"syntax_no_space.yaml", `testdata/syntax_no_space.yaml:18: YAML 格式错误：找不到键后面的冒号“:”。“title:” 后面缺少空格：应写成 “title: 值”`},
		// The library stops on the line after the slip; the slip is named.
		{"syntax_no_space_nested.yaml", `testdata/syntax_no_space_nested.yaml:28: YAML 格式错误：找不到键后面的冒号“:”。“name:” 后面缺少空格：应写成 “name: 值”`},
		{"syntax_colon_in_value.yaml", `testdata/syntax_colon_in_value.yaml:18: YAML 格式错误：这里不能再出现“键: 值”。值里又有“: ”：含冒号的值请整个加引号，如 title: "…: …"`},
		{"syntax_tab_after_dash.yaml", `testdata/syntax_tab_after_dash.yaml:16: YAML 格式错误：有不能出现在这里的字符。这一行用 Tab 缩进：YAML 只认空格，请把 Tab 换成空格`},
		// The library names line 15 (where items: begins); the bad line is 17.
		{"syntax_bad_indent.yaml", `testdata/syntax_bad_indent.yaml:17: YAML 格式错误：这里应是一个键（如 title:），缩进可能没有对齐。这一行缩进 5 个空格，上一行是 4 个：同一层的键要对齐`},
		{"syntax_indent_deeper.yaml", `testdata/syntax_indent_deeper.yaml:19: YAML 格式错误：这里不能再出现“键: 值”。这一行缩进 5 个空格，上一行是 4 个：同一层的键要对齐`},
		{"syntax_missing_dash.yaml", `testdata/syntax_missing_dash.yaml:17: YAML 格式错误：列表里的这一行应以“- ”开头，或者缩进没有对齐。这一行缩进 2 个空格，上一行是 4 个：同一层的键要对齐`},
		{"syntax_unclosed_list.yaml", `testdata/syntax_unclosed_list.yaml:19: YAML 格式错误：方括号 [ ] 没有闭合，或元素之间缺少半角逗号“,”`},
		{"syntax_unclosed_quote.yaml", `testdata/syntax_unclosed_quote.yaml:35: YAML 格式错误：文件在引号或括号闭合之前就结束了：请检查引号是否成对`},
	} {
		t.Run(tt.file, func(t *testing.T) {
			_, err := config.Load(filepath.Join("testdata", tt.file))
			var list config.Errors
			if !errors.As(err, &list) {
				t.Fatalf("Load = %v, want config.Errors", err)
			}
			if got := list.Error(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
