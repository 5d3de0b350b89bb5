//! Checks answers against the OpenAPI document: a status it lists for the route, a body its
//! schema accepts, and no field it does not declare.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::TestApp;

pub struct Checker<'a> {
    pub app: &'a TestApp,
    pub doc: Value,
    /// The (method, path, status) answered so far.
    pub seen: BTreeSet<(String, String, u16)>,
}

/// The document's schema at `r` (a `$ref`), or `r` itself.
fn resolve<'a>(doc: &'a Value, r: &'a Value) -> &'a Value {
    match r["$ref"].as_str() {
        Some(name) => resolve(
            doc,
            &doc["components"]["schemas"][name.rsplit('/').next().unwrap_or("")],
        ),
        None => r,
    }
}

/// The fields of `value` that `schema` does not declare, with where they are.
fn undeclared(doc: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if let Some(choices) = schema["oneOf"].as_array() {
        for c in choices.iter().filter(|c| c["type"] != "null") {
            if !value.is_null() {
                undeclared(doc, c, value, at, out);
            }
        }
        return;
    }
    match value {
        Value::Object(fields) => {
            let parts: Vec<&Value> = match schema["allOf"].as_array() {
                Some(all) => all.iter().map(|s| resolve(doc, s)).collect(),
                None => vec![schema],
            };
            if parts.iter().all(|p| p.get("properties").is_none()) {
                return; // a map, or any object
            }
            for (key, v) in fields {
                match parts.iter().find_map(|p| p["properties"].get(key)) {
                    Some(s) => undeclared(doc, s, v, &format!("{at}.{key}"), out),
                    None => out.push(format!("{at}.{key}")),
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                undeclared(doc, &schema["items"], v, &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// The document's path that `path` (with its query) is an instance of: `{x}` stands for one
/// segment, and literal segments win.
fn template_of(doc: &Value, path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    let mut best: Option<(usize, &String)> = None;
    for template in doc["paths"].as_object().expect("paths").keys() {
        let parts: Vec<&str> = template.split('/').collect();
        let fits = parts.len() == segments.len()
            && parts
                .iter()
                .zip(&segments)
                .all(|(t, s)| t.starts_with('{') || t == s);
        let holes = parts.iter().filter(|t| t.starts_with('{')).count();
        if fits && best.is_none_or(|(h, _)| holes < h) {
            best = Some((holes, template));
        }
    }
    best.map(|(_, t)| t.clone())
        .unwrap_or_else(|| panic!("{path} is not documented"))
}

/// An answer: its status, its body (JSON, or the text of other media), its content type.
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Checker<'_> {
    /// Sends a request (a string body is sent as CSV) and checks the answer against the
    /// document.
    pub async fn call(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let template = template_of(&self.doc, path);
        let req = self.app.request(method.clone(), path, token, body);
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let content_type = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().expect("ascii").to_owned())
            .unwrap_or_default();
        let text = resp.text().await.expect("body");
        let what = format!("{method} {path} → {status}");
        let op = &self.doc["paths"][&template][method.as_str().to_lowercase()];
        assert!(op.is_object(), "{method} {template} is not documented");
        let documented = &op["responses"][status.as_str()];
        assert!(
            documented.is_object(),
            "{what} is not a documented answer: {text}"
        );
        self.seen
            .insert((method.to_string(), template, status.as_u16()));
        let media = content_type.split(';').next().unwrap_or("").to_owned();
        let content = &documented["content"];
        if status == StatusCode::NO_CONTENT || status.is_redirection() {
            return Answer {
                status,
                body: Value::Null,
            };
        }
        assert!(
            content.get(&media).is_some(),
            "{what}: {content_type} is not documented: {content}"
        );
        if media != "application/json" {
            return Answer {
                status,
                body: Value::String(text),
            };
        }
        let value: Value = serde_json::from_str(&text).expect("a JSON body");
        let schema = &content[&media]["schema"];
        let mut root = schema.clone();
        root["components"] = self.doc["components"].clone();
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&root)
            .expect("the schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{what}: {errors:?}\n{value:#}");
        let mut extra = Vec::new();
        undeclared(&self.doc, schema, &value, "", &mut extra);
        assert!(
            extra.is_empty(),
            "{what}: fields the document does not declare: {extra:?}"
        );
        Answer {
            status,
            body: value,
        }
    }

    /// As the coordinator.
    pub async fn get(&mut self, path: &str) -> Value {
        let token = self.app.token.clone();
        self.call(Method::GET, path, Some(&token), None).await.body
    }

    /// As the coordinator.
    pub async fn post(&mut self, path: &str, body: Value) -> Value {
        let token = self.app.token.clone();
        self.call(Method::POST, path, Some(&token), Some(body))
            .await
            .body
    }

    /// As the coordinator, a request that is refused: its status and error code.
    pub async fn refused(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, String) {
        let token = self.app.token.clone();
        let a = self.call(method, path, Some(&token), body).await;
        let code = a.body["error"].as_str().unwrap_or("(none)").to_owned();
        (a.status.as_u16(), code)
    }

    /// As the coordinator.
    pub async fn put(&mut self, path: &str, body: Value) -> Value {
        let token = self.app.token.clone();
        self.call(Method::PUT, path, Some(&token), Some(body))
            .await
            .body
    }
}
