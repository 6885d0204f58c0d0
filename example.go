package planbot

import _ "embed"

// ExampleConfig is config.example.yaml, built into the binary so that a
// newcomer can run planbot with no file and no set-up.
//
//go:embed config.example.yaml
var ExampleConfig []byte

// ExampleConfigName is how messages name the embedded example.
const ExampleConfigName = "config.example.yaml（内置示例）"
