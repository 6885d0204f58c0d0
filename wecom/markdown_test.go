package wecom

import (
	"testing"

	"planbot"
)

func TestToMarkdown(t *testing.T) {
	for _, tc := range []struct{ html, want string }{
		{"plain", "plain"},
		{"<b>2.3 村道硬化</b> 进度 60%", "**2.3 村道硬化** 进度 60%"},
		{"<strong>a</strong><em>b</em><i>c</i>", "**a***b**c*"},
		{"用 <code>/report</code> 填报", "用 `/report` 填报"},
		{`见 <a href="https://example.com/?a=1&amp;b=2">台账</a>`, "见 [台账](https://example.com/?a=1&b=2)"},
		{`<a href='x'>y</a>`, "[y](x)"},
		{"<a>no link</a>", "no link"},
		{"a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;", `a <b> & "c" 'd'`},
		{"<u>under</u> <s>struck</s> <tg-spoiler>s</tg-spoiler>", "under struck s"},
		{"line<br>next<br/>last", "line\nnext\nlast"},
		{"<B>upper</B>", "**upper**"},
		{"broken < tag", "broken < tag"},
		{"<b>" + planbot.Escape("<script>*x*</script>") + "</b>", "**<script>*x*</script>**"},
		{"<pre>x\ny</pre>", "x\ny"},
		{"", ""},
	} {
		if got := toMarkdown(tc.html); got != tc.want {
			t.Errorf("toMarkdown(%q) = %q, want %q", tc.html, got, tc.want)
		}
		if len(toMarkdown(tc.html)) > len(tc.html) {
			t.Errorf("toMarkdown(%q) grew the text", tc.html)
		}
	}
}

func TestPlainTextAndClip(t *testing.T) {
	if got := plainText(`<b>提醒</b>：<a href="u">2.3</a> &amp; 更多`); got != "提醒：2.3 & 更多" {
		t.Errorf("plainText = %q", got)
	}
	if got := clipRunes("一二三四五六七八九十十一", 10); got != "一二三四五六七八九…" {
		t.Errorf("clipRunes = %q", got)
	}
	if got := clipRunes("短", 10); got != "短" {
		t.Errorf("clipRunes = %q", got)
	}
	if got := firstLine("\n  \n 第一行 \n第二行"); got != "第一行" {
		t.Errorf("firstLine = %q", got)
	}
}
