package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"text/template"
)

type Case struct {
	Name  string          `json:"name"`
	Files [][2]string     `json:"files"`
	Exec  string          `json:"exec"`
	Data  json.RawMessage `json:"data"`
	Opt   string          `json:"opt"`
	Out   *string         `json:"out,omitempty"`
	Err   *string         `json:"err,omitempty"`
}

func run(c *Case) (out string, errs string) {
	defer func() {
		if r := recover(); r != nil {
			errs = fmt.Sprintf("PANIC %v", r)
		}
	}()
	var data any
	if len(c.Data) > 0 {
		if err := json.Unmarshal(c.Data, &data); err != nil {
			return "", "BADDATA " + err.Error()
		}
	}
	t := template.New(c.Files[0][0])
	if c.Opt != "" {
		t.Option(c.Opt)
	}
	for i, f := range c.Files {
		var err error
		if i == 0 {
			_, err = t.Parse(f[1])
		} else {
			_, err = t.New(f[0]).Parse(f[1])
		}
		if err != nil {
			return "", err.Error()
		}
	}
	var buf bytes.Buffer
	name := c.Exec
	if name == "" {
		name = c.Files[0][0]
	}
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return "", err.Error()
	}
	return buf.String(), ""
}

func main() {
	var cases []*Case
	b, _ := os.ReadFile(os.Args[1])
	if err := json.Unmarshal(b, &cases); err != nil {
		panic(err)
	}
	for _, c := range cases {
		o, e := run(c)
		if e != "" {
			c.Err = &e
		} else {
			c.Out = &o
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	enc.Encode(cases)
}
