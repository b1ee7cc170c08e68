//! Table tests for the sprig and Helm functions: each case renders one template with
//! `FuncMap::helm()` over a small values tree and compares the exact output (or error).

use kvet_gotmpl::{FuncMap, Templates, Value};

const VALUES: &str = r#"{
  "s": "hello world", "f": 3.0, "fl": 1.5, "i": "42", "nil": null, "empty": "",
  "list": [3, 1, 2], "strs": ["b", "a", "c"], "m": {"a": 1, "b": {"c": "d"}},
  "zero": 0, "f0": false, "t": true, "emptyMap": {}, "emptyList": []
}"#;

fn render(src: &str) -> Result<String, String> {
    let mut t = Templates::with_funcs(FuncMap::helm());
    t.set_name("gotpl");
    t.parse("t", src).map_err(|e| e.to_string())?;
    let data = Value::from_json(&serde_json::from_str(VALUES).unwrap());
    t.render("t", &data).map_err(|e| e.to_string())
}

fn check(cases: &[(&str, &str)]) {
    let mut bad = Vec::new();
    for (src, want) in cases {
        let got = match render(src) {
            Ok(s) => s,
            Err(e) => format!("ERR {e}"),
        };
        if got != *want {
            bad.push(format!("{src}\n   want {want:?}\n    got {got:?}"));
        }
    }
    assert!(bad.is_empty(), "{} failing:\n{}", bad.len(), bad.join("\n"));
}

#[test]
fn strings() {
    check(&[
        (r#"{{ "  x  " | trim }}"#, "x"),
        (r#"{{ upper "abc" }}|{{ lower "ABC" }}"#, "ABC|abc"),
        (r#"{{ title "hello wORLD-x" }}"#, "Hello WORLD-X"),
        (r#"{{ untitle "Hello World" }}"#, "hello world"),
        (r#"{{ substr 0 5 "hello world" }}"#, "hello"),
        (r#"{{ substr -1 3 "hello" }}"#, "hel"),
        (r#"{{ substr 2 -1 "hello" }}"#, "llo"),
        (r#"{{ substr 2 99 "hello" }}"#, "llo"),
        (r#"{{ trunc 5 "hello world" }}"#, "hello"),
        (r#"{{ trunc -5 "hello world" }}"#, "world"),
        (r#"{{ trunc 63 "short" }}"#, "short"),
        (r#"{{ trunc -99 "short" }}"#, "short"),
        (r#"{{ "release-name-x" | trunc 7 | trimSuffix "-" }}"#, "release"),
        (r#"{{ trimPrefix "a" "aab" }}|{{ trimAll "$" "$5.00$" }}"#, "ab|5.00"),
        (r#"{{ repeat 3 "ab" }}"#, "ababab"),
        (r#"{{ nospace "a b\tc" }}|{{ initials "First Try" }}"#, "abc|FT"),
        (r#"{{ quote "a" 1 .nil true }}|{{ squote "x" }}"#, r#""a" "1" "true"|'x'"#),
        (r#"{{ quote "say \"hi\"\n" }}"#, r#""say \"hi\"\n""#),
        (r#"{{ cat "a" 1 .nil 2.5 }}"#, "a 1 2.5"),
        (r#"{{ indent 2 "a\nb" }}"#, "  a\n  b"),
        (r#"x:{{ nindent 4 "a\nb" }}"#, "x:\n    a\n    b"),
        (r#"{{ replace "-" "_" "a-b-c" }}"#, "a_b_c"),
        (r#"{{ plural "one" "many" 2 }}"#, "many"),
        (r#"{{ snakecase "FirstName" }}|{{ snakecase "HTTPServer" }}"#, "first_name|http_server"),
        (r#"{{ kebabcase "FirstName" }}|{{ camelcase "http_server" }}"#, "first-name|HttpServer"),
        (r#"{{ swapcase "Hello" }}"#, "hELLO"),
        (r#"{{ wrap 5 "Hello World Now" }}"#, "Hello\nWorld\nNow"),
        (r#"{{ wrapWith 5 "\t" "Hello World" }}"#, "Hello\tWorld"),
        (r#"{{ contains "ll" "hello" }}|{{ hasPrefix "he" "hello" }}|{{ hasSuffix "x" "hello" }}"#, "true|true|false"),
        (r#"{{ abbrev 5 "hello world" }}|{{ abbrevboth 5 10 "1234 5678 9123" }}"#, "he...|...5678..."),
        (r#"{{ splitList "," "a,b,c" }}|{{ (split "$" "foo$bar")._1 }}"#, "[a b c]|bar"),
        (r#"{{ splitn "$" 2 "a$b$c" }}"#, "map[_0:a _1:b$c]"),
        (r#"{{ join "-" .strs }}|{{ join "," (list 1 .nil "x") }}"#, "b-a-c|1,x"),
        (r#"{{ sortAlpha .strs }}|{{ sortAlpha .list }}"#, "[a b c]|[1 2 3]"),
        (r#"{{ toString 1.0 }}|{{ toString .fl }}|{{ toString .nil }}"#, "1|1.5|<nil>"),
        (r#"{{ toStrings (list 1 "a" .nil) }}"#, "[1 a]"),
        (r#"{{ atoi "12" }}|{{ atoi "x" }}"#, "12|0"),
        (r#"{{ randAlphaNum 8 | len }}|{{ randNumeric 4 | regexMatch "^[0-9]{4}$" }}"#, "8|true"),
        (r#"{{ repeat -1 "x" }}"#, "ERR template: t:1:3: executing \"t\" at <repeat -1 \"x\">: error calling repeat: strings: negative Repeat count"),
        (r#"{{ substr 4 2 "hello" }}"#, "ERR template: t:1:3: executing \"t\" at <substr 4 2 \"hello\">: error calling substr: runtime error: slice bounds out of range [4:2]"),
    ]);
}

#[test]
fn math_and_conversion() {
    check(&[
        (r#"{{ add 1 2 3 }}|{{ add1 .f }}|{{ add1 .fl }}|{{ add .i 1 }}"#, "6|4|2|43"),
        (r#"{{ sub 5 .f }}|{{ mul 2 3 4 }}|{{ div 7 2 }}|{{ mod 7 3 }}"#, "2|24|3|1"),
        (r#"{{ max 1 5 3 }}|{{ min 4 .f }}|{{ biggest 1 2 }}"#, "5|3|2"),
        (r#"{{ maxf 1.5 2 }}|{{ minf 1.5 2 }}"#, "2|1.5"),
        (r#"{{ addf 0.1 0.2 }}|{{ subf 1 0.9 }}|{{ mulf 1.1 3 }}|{{ divf 10 4 }}"#, "0.3|0.1|3.3|2.5"),
        (r#"{{ floor 1.7 }}|{{ ceil 1.2 }}|{{ round 3.14159 2 }}|{{ round 2.5 0 }}"#, "1|2|3.14|3"),
        (r#"{{ int "0x1F" }}|{{ int64 "3.0" }}|{{ int 2.9 }}|{{ int true }}|{{ int "abc" }}"#, "31|3|2|1|0"),
        (r#"{{ float64 "1.5" }}|{{ float64 2 }}|{{ toDecimal "0777" }}"#, "1.5|2|511"),
        (r#"{{ until 3 }}|{{ untilStep 0 10 4 }}|{{ until -2 }}"#, "[0 1 2]|[0 4 8]|[0 -1]"),
        (r#"{{ seq 3 }}|{{ seq 2 4 }}|{{ seq 0 2 6 }}|{{ seq 3 1 }}"#, "1 2 3|2 3 4|0 2 4 6|3 2 1"),
        (r#"{{ div 1 0 }}"#, "ERR template: t:1:3: executing \"t\" at <div 1 0>: error calling div: runtime error: integer divide by zero"),
    ]);
}

#[test]
fn defaults_and_flow() {
    check(&[
        (r#"{{ default "d" .nil }}|{{ default "d" .empty }}|{{ default "d" .zero }}|{{ default "d" .f0 }}"#, "d|d|d|d"),
        (r#"{{ default "d" .emptyMap }}|{{ default "d" .emptyList }}|{{ default "d" .missing }}"#, "d|d|d"),
        (r#"{{ default "d" .s }}|{{ default 1 .t }}|{{ default "d" .f }}"#, "hello world|true|3"),
        (r#"{{ empty .nil }}|{{ empty .m }}|{{ empty 0.0 }}|{{ empty .emptyMap }}"#, "true|false|true|true"),
        (r#"{{ coalesce .nil .empty "x" "y" }}|{{ coalesce .nil }}"#, "x|<no value>"),
        (r#"{{ all 1 "a" .t }}|{{ all 1 .empty }}|{{ any .nil 0 "a" }}|{{ any }}"#, "true|false|true|false"),
        (r#"{{ ternary "y" "n" true }}|{{ ternary "y" "n" (eq 1 2) }}"#, "y|n"),
        (r#"{{ typeOf .f }}|{{ typeOf .s }}|{{ typeOf .m }}|{{ typeOf .list }}|{{ typeOf .nil }}"#, "float64|string|map[string]interface {}|[]interface {}|<nil>"),
        (r#"{{ kindOf .m }}|{{ kindIs "slice" .list }}|{{ typeIs "string" .s }}|{{ typeIsLike "*string" .s }}"#, "map|true|true|true"),
        (r#"{{ deepEqual (list 1 2) (list 1 2) }}|{{ deepEqual .m .emptyMap }}"#, "true|false"),
        (r#"{{ required "need x" .s }}"#, "hello world"),
        (r#"{{ required "need x" .nil }}"#, "ERR template: t:1:3: executing \"t\" at <required \"need x\" .nil>: error calling required: HELM_ERR_STARTneed xHELM_ERR_END"),
        (r#"{{ fail "boom" }}"#, "ERR template: t:1:3: executing \"t\" at <fail \"boom\">: error calling fail: HELM_ERR_STARTboomHELM_ERR_END"),
        (r#"{{ lookup "v1" "Secret" "ns" "x" }}"#, "map[]"),
    ]);
}

#[test]
fn lists() {
    check(&[
        (r#"{{ list 1 "a" }}|{{ first .list }}|{{ rest .list }}|{{ last .list }}|{{ initial .list }}"#, "[1 a]|3|[1 2]|2|[3 1]"),
        (r#"{{ append .list 4 }}|{{ prepend .list 0 }}|{{ .list }}"#, "[3 1 2 4]|[0 3 1 2]|[3 1 2]"),
        (r#"{{ concat .list (list 9) }}|{{ reverse .list }}|{{ uniq (list 1 1 2 1) }}"#, "[3 1 2 9]|[2 1 3]|[1 2]"),
        (r#"{{ without (list 3 1 2) 1 3 }}|{{ has 2 (list 1 2) }}|{{ has 5 (list 1 2) }}|{{ has 1 .nil }}"#, "[2]|true|false|false"),
        // Values from YAML are float64: like Go's reflect.DeepEqual, 2 (int) is not 2.0.
        (r#"{{ has 2 .list }}|{{ has 2.0 .list }}|{{ without .list 1 }}"#, "false|true|[3 1 2]"),
        (r#"{{ compact (list 1 "" .nil 0 "a") }}|{{ slice .list 1 }}|{{ slice .list 0 2 }}"#, "[1 a]|[1 2]|[3 1]"),
        (r#"{{ chunk 2 (list 1 2 3) }}|{{ first .emptyList }}"#, "[[1 2] [3]]|<no value>"),
        (r#"{{ first "x" }}"#, "ERR template: t:1:3: executing \"t\" at <first \"x\">: error calling first: Cannot find first on type string"),
    ]);
}

#[test]
fn dicts() {
    check(&[
        (
            r#"{{ dict "a" 1 "b" "x" }}|{{ dict "odd" }}"#,
            "map[a:1 b:x]|map[odd:]",
        ),
        (
            r#"{{ get .m "a" }}|{{ get .m "zz" }}|{{ hasKey .m "b" }}|{{ hasKey .m "q" }}"#,
            "1||true|false",
        ),
        (
            r#"{{ $d := dict "a" 1 }}{{ $_ := set $d "b" 2 }}{{ $d }}|{{ unset $d "a" }}"#,
            "map[a:1 b:2]|map[b:2]",
        ),
        (
            r#"{{ keys .m | sortAlpha }}|{{ values (dict "a" 1 "b" 2) }}"#,
            "[a b]|[1 2]",
        ),
        (
            r#"{{ pluck "a" .m (dict "a" 5) (dict) }}|{{ pick .m "a" "zz" }}|{{ omit .m "a" }}"#,
            "[1 5]|map[a:1]|map[b:map[c:d]]",
        ),
        (
            r#"{{ dig "b" "c" "def" .m }}|{{ dig "b" "x" "def" .m }}|{{ dig "q" "r" "def" .m }}"#,
            "d|def|def",
        ),
        // merge: dst keeps non-empty values; nested maps merge; empty values are filled.
        (
            r#"{{ $d := dict "a" 1 "e" "" "n" (dict "x" 1) }}{{ merge $d (dict "a" 2 "e" "filled" "b" 3 "n" (dict "x" 2 "y" 2)) }}|{{ $d }}"#,
            "map[a:1 b:3 e:filled n:map[x:1 y:2]]|map[a:1 b:3 e:filled n:map[x:1 y:2]]",
        ),
        // mergeOverwrite: src wins, even with false/0/""; nested maps still merge.
        (
            r#"{{ mergeOverwrite (dict "a" 1 "t" true "n" (dict "x" 1 "k" 1)) (dict "a" 2 "t" false "n" (dict "x" 2)) }}"#,
            "map[a:2 n:map[k:1 x:2] t:false]",
        ),
        (
            r#"{{ merge (dict) (dict "a" 1) (dict "a" 2 "b" 2) }}"#,
            "map[a:1 b:2]",
        ),
        // merge aliases src's nested maps into dst, as mergo assigns Go maps by reference.
        (
            r#"{{ $src := dict "n" (dict "x" 1) }}{{ $d := merge (dict) $src }}{{ $_ := set $d.n "y" 2 }}{{ $src }}"#,
            "map[n:map[x:1 y:2]]",
        ),
        // deepCopy breaks that aliasing.
        (
            r#"{{ $src := dict "n" (dict "x" 1) }}{{ $d := merge (dict) (deepCopy $src) }}{{ $_ := set $d.n "y" 2 }}{{ $src }}"#,
            "map[n:map[x:1]]",
        ),
    ]);
}

#[test]
fn encoding_and_json() {
    check(&[
        (r#"{{ b64enc "hello" }}|{{ b64dec "aGVsbG8=" }}|{{ b64dec "!!" }}"#, "aGVsbG8=|hello|illegal base64 data at input byte 0"),
        (r#"{{ b32enc "hello" }}|{{ b32dec "NBSWY3DP" }}"#, "NBSWY3DP|hello"),
        (r#"{{ sha1sum "abc" }}"#, "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (r#"{{ sha256sum "abc" }}"#, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (r#"{{ adler32sum "abc" }}"#, "38600999"),
        (r#"{{ toJson .m }}|{{ toJson "<a&b>" }}|{{ toRawJson "<a&b>" }}"#, r#"{"a":1,"b":{"c":"d"}}|"\u003ca\u0026b\u003e"|"<a&b>""#),
        (r#"{{ toJson .f }}|{{ toJson 1e21 }}|{{ toJson 0.0000001 }}|{{ toJson .nil }}"#, "3|1e+21|1e-7|null"),
        (r#"{{ toPrettyJson (dict "a" (list 1) "b" (dict)) }}"#, "{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}"),
        (r#"{{ (fromJson "{\"a\":[1,2]}").a }}|{{ fromJson "[1]" }}"#, "[1 2]|map[Error:json: cannot unmarshal array into Go value of type map[string]interface {}]"),
        (r#"{{ fromJsonArray "[1,\"a\"]" }}|{{ mustFromJson "1.5" }}"#, "[1 a]|1.5"),
    ]);
}

#[test]
fn regexes() {
    check(&[
        (r#"{{ regexMatch "^[a-z]+$" "abc" }}|{{ regexMatch "(" "x" }}"#, "true|false"),
        (r#"{{ regexFind "[0-9]+" "a12b34" }}|{{ regexFindAll "[0-9]+" "a12b34c5" -1 }}|{{ regexFindAll "[0-9]+" "a12b34c5" 2 }}"#, "12|[12 34 5]|[12 34]"),
        (r#"{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}|{{ regexReplaceAllLiteral "a(x*)b" "-ab-" "${1}" }}"#, "-W-xxW-|-${1}-"),
        (r#"{{ regexSplit "z+" "pizza" -1 }}|{{ regexSplit "z+" "pizza" 1 }}|{{ regexQuoteMeta "1.2+[x]" }}"#, r"[pi a]|[pizza]|1\.2\+\[x\]"),
        (r#"{{ mustRegexMatch "(" "x" }}"#, "ERR template: t:1:3: executing \"t\" at <mustRegexMatch \"(\" \"x\">: error calling mustRegexMatch: regexp: Compile(`(`): error parsing regexp: unclosed group: `(`"),
    ]);
}

#[test]
fn semver_constraints() {
    let matrix: &[(&str, &str, bool)] = &[
        (">=1.2.3", "1.2.3", true),
        (">=1.2.3", "1.2.2", false),
        (">1.2", "1.2.5", false),
        (">1.2", "1.3.0", true),
        ("<2.0.0", "1.9.9", true),
        ("<=1.2", "1.2.9", true),
        ("=1.2.3", "v1.2.3", true),
        ("!=1.2.3", "1.2.4", true),
        ("~1.2.3", "1.2.9", true),
        ("~1.2.3", "1.3.0", false),
        ("~1", "1.9.0", true),
        ("^1.2.3", "1.9.0", true),
        ("^1.2.3", "2.0.0", false),
        ("^0.2.3", "0.2.9", true),
        ("^0.2.3", "0.3.0", false),
        ("^0.0.3", "0.0.4", false),
        ("1.2.x", "1.2.7", true),
        ("1.2.x", "1.3.0", false),
        ("*", "5.0.0", true),
        ("1.2 - 1.4.5", "1.4.5", true),
        ("1.2 - 1.4.5", "1.4.6", false),
        (">=1.0, <2.0", "1.5.0", true),
        (">=1.0 <2.0", "2.0.0", false),
        ("<1.0 || >=3.0", "3.1.0", true),
        ("<1.0 || >=3.0", "2.0.0", false),
        (">=1.21.0-0", "1.25.3-gke.100", true),
        (">=1.21.0", "1.25.3-gke.100", false),
        (">= 1.19-0", "v1.28.2-eks-a5df82a", true),
        ("^1.2.0-beta.2", "1.2.0-beta.10", true),
        ("^1.2.0-beta.2", "1.2.0-beta.1", false),
    ];
    let mut bad = Vec::new();
    for (c, v, want) in matrix {
        let src = format!("{{{{ semverCompare {c:?} {v:?} }}}}");
        let got = render(&src).unwrap_or_else(|e| e);
        if got != want.to_string() {
            bad.push(format!("{c} vs {v}: want {want} got {got}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    check(&[
        (r#"{{ (semver "1.2.3-beta+build").Major }}|{{ (semver "v1.2").String }}|{{ (semver "1.2.3").Compare (semver "1.3.0") }}"#, "1|1.2.0|-1"),
        (r#"{{ semverCompare ">=1" "nope" }}"#, "ERR template: t:1:3: executing \"t\" at <semverCompare \">=1\" \"nope\">: error calling semverCompare: invalid semantic version"),
        (r#"{{ semverCompare "!!" "1.0.0" }}"#, "ERR template: t:1:3: executing \"t\" at <semverCompare \"!!\" \"1.0.0\">: error calling semverCompare: improper constraint: \"!!\""),
    ]);
}

#[test]
fn dates() {
    // The deterministic clock of FuncMap::helm() is 2024-01-01T00:00:00Z.
    check(&[
        (
            r#"{{ now | date "2006-01-02T15:04:05Z07:00" }}"#,
            "2024-01-01T00:00:00Z",
        ),
        (
            r#"{{ now | unixEpoch }}|{{ now | htmlDate }}"#,
            "1704067200|2024-01-01",
        ),
        (
            r#"{{ date "Mon Jan _2 3:04PM 2006 MST" 0 }}"#,
            "Thu Jan  1 12:00AM 1970 UTC",
        ),
        (
            r#"{{ dateInZone "02/01/06 15:04:05.000" 1700000000 "UTC" }}"#,
            "14/11/23 22:13:20.000",
        ),
        (
            r#"{{ toDate "2006-01-02" "2017-12-31" | date "Jan 2, 2006 (002)" }}"#,
            "Dec 31, 2017 (365)",
        ),
        (
            r#"{{ (toDate "2006-01-02T15:04:05Z07:00" "2020-02-29T12:30:00+02:00").Unix }}"#,
            "1582972200",
        ),
        (
            r#"{{ now | dateModify "-1.5h" | date "2006-01-02 15:04" }}"#,
            "2023-12-31 22:30",
        ),
        (
            r#"{{ duration 95 }}|{{ duration "3700" }}|{{ durationRound "2h10m" }}|{{ ago 1704060000 }}"#,
            "1m35s|1h1m40s|2h|2h0m0s",
        ),
        (r#"{{ now }}"#, "2024-01-01 00:00:00 +0000 UTC"),
        (r#"{{ toJson now }}"#, r#""2024-01-01T00:00:00Z""#),
        (
            r#"{{ durationSeconds "1m30s" }}|{{ durationMilliseconds 2 }}|{{ mustToDuration "90" }}"#,
            "90|2000|1m30s",
        ),
    ]);
}

#[test]
fn paths_urls_uuid() {
    check(&[
        (
            r#"{{ base "/a/b.txt" }}|{{ dir "/a/b.txt" }}|{{ ext "b.tar.gz" }}|{{ clean "a//b/../c/" }}|{{ isAbs "/x" }}"#,
            "b.txt|/a|.gz|a/c|true",
        ),
        (
            r#"{{ (urlParse "https://u@host:8080/p?q=1#f").hostname }}|{{ urlJoin (dict "scheme" "http" "host" "h" "path" "/p" "query" "a=b") }}"#,
            "host|http://h/p?a=b",
        ),
        (
            r#"{{ uuidv4 | len }}|{{ regexMatch "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$" uuidv4 }}"#,
            "36|true",
        ),
        (r#"{{ getHostByName "example.com" }}"#, ""),
    ]);
}

#[test]
fn to_yaml() {
    check(&[
        (r#"{{ toYaml .m }}"#, "a: 1\nb:\n  c: d"),
        (r#"{{ toYaml .list }}"#, "- 3\n- 1\n- 2"),
        (r#"{{ toYaml .nil }}|{{ toYaml .emptyMap }}|{{ toYaml .emptyList }}|{{ toYaml "" }}"#, "null|{}|[]|\"\""),
        (r#"{{ toYaml (dict "l" (list (dict "a" 1 "b" (list)) (list 1 2)) "e" (dict)) }}"#, "e: {}\nl:\n- a: 1\n  b: []\n- - 1\n  - 2"),
        (r#"{{ toYaml (dict "t" "true" "n" "123" "y" "yes" "f" "1.5" "d" "2024-01-01" "o" "0755" "x" "~" "nul" "null") }}"#,
         "d: \"2024-01-01\"\nf: \"1.5\"\n\"n\": \"123\"\nnul: \"null\"\no: \"0755\"\nt: \"true\"\nx: \"~\"\n\"y\": \"yes\""),
        (r##"{{ toYaml (dict "a" "*" "b" "x: y" "c" "- z" "d" "#x" "e" "a #b" "f" "it's" "g" " lead" "h" "tab\there") }}"##,
         "a: '*'\nb: 'x: y'\nc: '- z'\nd: '#x'\ne: 'a #b'\nf: it's\ng: ' lead'\nh: \"tab\\there\""),
        (r#"{{ toYaml (dict "s" "line1\nline2\n" "t" "a\nb" "u" "a\n\n" "v" " x\ny") }}"#,
         "s: |\n  line1\n  line2\nt: |-\n  a\n  b\nu: |+\n  a\n\nv: |2-\n   x\n  y"),
        (r#"{{ toYaml (dict "f" 1.5 "i" 3.0 "big" 123456789.5 "small" 0.00001 "huge" 1e21) }}"#,
         "big: 1.234567895e+08\nf: 1.5\nhuge: 1e+21\ni: 3\nsmall: 1e-05"),
        (r#"{{ toYaml (dict "b10" 1 "b9" 2 "a-b" 3 "aa" 4 "B" 5) }}"#, "B: 5\na-b: 3\naa: 4\nb9: 2\nb10: 1"),
        (r#"{{ toYaml (dict "k" "aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd eeeeeeeeee ffffffffff gggggggggg hhhhhhhhhh iiiiiiiiii") }}"#,
         "k: aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd eeeeeeeeee ffffffffff gggggggggg hhhhhhhhhh\n  iiiiiiiiii"),
        (r#"{{ toYamlPretty (dict "l" (list 1 2) "f" 2.0) }}"#, "f: 2\nl:\n  - 1\n  - 2"),
        (r#"{{ (fromYaml "a: 1\nb: [x, y]\n").b }}|{{ (fromYaml "a: 1").a | typeOf }}|{{ fromYamlArray "- 1\n- two" }}"#, "[x true]|float64|[1 two]"),
        (r#"{{ fromYaml "- 1" }}"#, "map[Error:error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}]"),
    ]);
}

#[test]
fn include_and_tpl_keep_source_maps() {
    let mut t = Templates::with_funcs(FuncMap::helm());
    t.set_name("gotpl");
    t.parse(
        "_helpers.tpl",
        "{{- define \"name\" -}}\nname: {{ .n }}\n{{- end }}",
    )
    .unwrap();
    t.parse(
        "main.yaml",
        "meta:\n{{ include \"name\" . | indent 2 }}\nv: {{ tpl \"{{ .n }}-x\" . }}\n",
    )
    .unwrap();
    let data = Value::map([("n".to_string(), Value::from("web"))]);
    let out = t.execute("main.yaml", &data).unwrap();
    assert_eq!(out.text, "meta:\n  name: web\nv: web-x\n");
    let at = out.text.find("name:").unwrap();
    let loc = out.locate(at).unwrap();
    assert_eq!((loc.source, loc.line), ("_helpers.tpl", 2));
    // `nindent` and `trim` keep the positions of included text.
    t.parse(
        "two.yaml",
        "spec:{{ include \"name\" . | nindent 4 }}\nx: {{ include \"name\" . | trim }}\n",
    )
    .unwrap();
    let out = t.execute("two.yaml", &data).unwrap();
    assert_eq!(out.text, "spec:\n    name: web\nx: name: web\n");
    for at in [
        out.text.find("name").unwrap(),
        out.text.rfind("name").unwrap(),
    ] {
        let loc = out.locate(at).unwrap();
        assert_eq!(
            (loc.source, loc.line, loc.column),
            ("_helpers.tpl", 2, 1),
            "at {at}"
        );
    }
    let web = out.text.find("web").unwrap();
    let loc = out.locate(web).unwrap();
    assert_eq!((loc.source, loc.line), ("_helpers.tpl", 2));
    let err = {
        let mut t2 = Templates::with_funcs(FuncMap::helm());
        t2.set_name("gotpl");
        t2.parse("t", "{{ tpl \"{{ fail \\\"x\\\" }}\" . }}")
            .unwrap();
        t2.render("t", &Value::Nil).unwrap_err().to_string()
    };
    assert!(
        err.contains("error during tpl function execution for \"{{ fail \\\"x\\\" }}\"")
            && err.contains("HELM_ERR_STARTxHELM_ERR_END"),
        "{err}"
    );
    assert_eq!(
        kvet_gotmpl::funcs::helm::helm_user_error("a HELM_ERR_STARTboomHELM_ERR_END"),
        Some("boom")
    );
}

#[test]
fn the_clock_and_randomness_come_from_the_env() {
    let env = kvet_gotmpl::HelmEnv {
        sprig: kvet_gotmpl::SprigEnv {
            clock: std::sync::Arc::new(|| kvet_gotmpl::Timestamp {
                secs: 86_400,
                nanos: 5,
            }),
            random: kvet_gotmpl::funcs::seeded_random(7),
            local: kvet_gotmpl::Zone {
                name: "CET".into(),
                offset: 3600,
            },
        },
        lint_mode: true,
        tpl_name: "gotpl".into(),
    };
    let mut t = Templates::with_funcs(FuncMap::helm_with(&env));
    t.parse(
        "t",
        "{{ now | date \"2006-01-02 15:04 MST\" }}|{{ required \"x\" .nil }}",
    )
    .unwrap();
    assert_eq!(t.render("t", &Value::Nil).unwrap(), "1970-01-02 01:00 CET|");
}

#[test]
fn passwords_and_ciphers() {
    check(&[
        (
            r#"{{derivePassword 1 "long" "password" "user" "example.com"}}"#,
            "ZedaFaxcZaso9*",
        ),
        (
            r#"{{derivePassword 2 "long" "password" "user" "example.com"}}"#,
            "Fovi2@JifpTupx",
        ),
        (
            r#"{{derivePassword 1 "maximum" "password" "user" "example.com"}}"#,
            "pf4zS1LjCg&LjhsZ7T2~",
        ),
        (
            r#"{{derivePassword 1 "medium" "password" "user" "example.com"}}|{{derivePassword 1 "basic" "password" "user" "example.com"}}"#,
            "ZedJuz8$|pIS54PLs",
        ),
        (
            r#"{{derivePassword 1 "short" "password" "user" "example.com"}}|{{derivePassword 1 "pin" "password" "user" "example.com"}}"#,
            "Zed5|6685",
        ),
        (
            r#"{{derivePassword 1 "nope" "p" "u" "s"}}"#,
            "cannot find password template nope",
        ),
        (
            r#"{{ "plaintext" | encryptAES "secretkey" | decryptAES "secretkey" }}"#,
            "plaintext",
        ),
        // Produced by Go's crypto/aes + cipher.NewCBCEncrypter as sprig's encryptAES does.
        (
            r#"{{ decryptAES "secretkey" "AAECAwQFBgcICQoLDA0OD4aChIkqfhLglmmHSXlA6r0=" }}"#,
            "plaintext",
        ),
        (r#"{{ encryptAES "k" "" }}|{{ decryptAES "k" "" }}"#, "|"),
        (
            r#"{{ regexMatch "^admin:\\$2a\\$10\\$[./A-Za-z0-9]{53}$" (htpasswd "admin" "s3cret") }}"#,
            "true",
        ),
        (r#"{{ htpasswd "a:b" "x" }}"#, "invalid username: a:b"),
        (r#"{{ bcrypt "x" | len }}"#, "60"),
        (r#"{{ genPrivateKey "foo" }}"#, "Unknown type foo"),
    ]);
}

/// Renders a template that generates PEM data and returns it.
fn render_ok(src: &str) -> String {
    render(src).unwrap_or_else(|e| panic!("{src}: {e}"))
}

#[test]
fn private_keys_have_go_shapes() {
    for (typ, label) in [("ecdsa", "EC PRIVATE KEY"), ("ed25519", "PRIVATE KEY")] {
        let pem = render_ok(&format!(r#"{{{{ genPrivateKey "{typ}" }}}}"#));
        assert!(
            pem.starts_with(&format!("-----BEGIN {label}-----\n")),
            "{pem}"
        );
        assert!(pem.ends_with(&format!("-----END {label}-----\n")), "{pem}");
        assert!(pem.lines().all(|l| l.len() <= 64), "{pem}");
    }
    let err = render(r#"{{ genCAWithKey "x" 1 "not pem" }}"#).unwrap_err();
    assert!(
        err.ends_with("error calling genCAWithKey: parsing private key: no PEM data in input"),
        "{err}"
    );
    let err = render(r#"{{ genSignedCert "x" nil nil 1 (dict "Cert" "" "Key" "") }}"#).unwrap_err();
    assert!(
        err.ends_with("error calling genSignedCert: unable to decode certificate"),
        "{err}"
    );
    let err = render(r#"{{ genSelfSignedCert "x" (list "300.1.1.1") nil 1 }}"#).unwrap_err();
    assert!(err.ends_with("error parsing ip: 300.1.1.1"), "{err}");
}

/// Certificates verified by OpenSSL: a CA, a certificate it signs, a self-signed one with an
/// ECDSA key, and a CA from a given Ed25519 key.
#[test]
fn certificates_verify_with_openssl() {
    let src = r#"{{- $ca := genCA "kvet-test-ca" 365 -}}
{{- $cert := genSignedCert "web.shop.svc" (list "10.0.0.7" "::1") (list "web" "web.shop.svc") 30 $ca -}}
{{- $ec := genPrivateKey "ecdsa" -}}
{{- $self := genSelfSignedCertWithKey "self" nil (list "self.local") 10 $ec -}}
{{- $edca := genCAWithKey "ed-ca" 5 (genPrivateKey "ed25519") -}}
{{- $leaf := genSignedCertWithKey "leaf" nil nil 5 $edca (genPrivateKey "ecdsa") -}}
{{- $custom := buildCustomCert ($cert.Cert | b64enc) ($cert.Key | b64enc) -}}
{{ $ca.Cert }}===
{{ $ca.Key }}===
{{ $cert.Cert }}===
{{ $cert.Key }}===
{{ $self.Cert }}===
{{ $edca.Cert }}===
{{ $leaf.Cert }}===
{{ eq $custom.Cert $cert.Cert }}"#;
    let out = render_ok(src);
    let parts: Vec<&str> = out.split("===\n").collect();
    assert_eq!(parts.len(), 8, "{out}");
    assert!(
        parts[1].starts_with("-----BEGIN RSA PRIVATE KEY-----"),
        "{}",
        parts[1]
    );
    assert_eq!(parts[7], "true");
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: openssl is not installed; certificates were only generated");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let ca = write("ca.pem", parts[0]);
    let cert = write("cert.pem", parts[2]);
    let self_signed = write("self.pem", parts[4]);
    let edca = write("edca.pem", parts[5]);
    let leaf = write("leaf.pem", parts[6]);
    let openssl = |args: &[&str]| {
        let o = std::process::Command::new("openssl")
            .args(args)
            .output()
            .unwrap();
        let text =
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "openssl {args:?}: {text}");
        text
    };
    let verify = |ca: &str, cert: &str| {
        // The fixed test clock is in 2024; check validity against it.
        openssl(&[
            "verify",
            "-attime",
            "1704153600",
            "-purpose",
            "sslserver",
            "-CAfile",
            ca,
            cert,
        ])
    };
    verify(&ca, &cert);
    verify(&self_signed, &self_signed);
    verify(&edca, &leaf);
    let text = openssl(&["x509", "-in", &cert, "-noout", "-text"]);
    for want in [
        "Subject: CN = web.shop.svc",
        "Issuer: CN = kvet-test-ca",
        "DNS:web, DNS:web.shop.svc, IP Address:10.0.0.7, IP Address:0:0:0:0:0:0:0:1",
        "TLS Web Server Authentication, TLS Web Client Authentication",
        "Digital Signature, Key Encipherment",
        "Signature Algorithm: sha256WithRSAEncryption",
        "X509v3 Authority Key Identifier",
        "Public-Key: (2048 bit)",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    let text = openssl(&["x509", "-in", &ca, "-noout", "-text"]);
    assert!(
        text.contains("CA:TRUE") && text.contains("Certificate Sign"),
        "{text}"
    );
    let key = write("cert.key", parts[3]);
    let m1 = openssl(&["x509", "-in", &cert, "-noout", "-pubkey"]);
    let m2 = openssl(&["pkey", "-in", &key, "-pubout"]);
    assert_eq!(m1, m2, "the key returned is the certificate's");
}
