//! `spin:variables/variables@3.0.0` for app components, as Spin defines it:
//! a component sees the `variables` of its `[component.x]` table, whose
//! `{{ name }}` templates are filled from the application's `[variables]`
//! (the value of `$SPIN_VARIABLE_<NAME>` if set, else the `default`). A
//! `required` variable without a value stops `glint up` with its name.

use std::collections::BTreeMap;

use wasmtime::component::{Accessor, HasData};

use super::manifest::SpinManifest;

wasmtime::component::bindgen!({
    inline: "
        package spin:variables@3.0.0;
        interface variables {
            get: async func(name: string) -> result<string, error>;
            variant error { invalid-name(string), undefined(string), provider(string), other(string) }
        }
        world spin-variables { import variables; }
    ",
    world: "spin-variables",
});

use spin::variables::variables::{self, Error};

/// One component's resolved variables.
#[derive(Clone, Debug, Default)]
pub struct Variables(pub BTreeMap<String, String>);

/// Why a variable has no value, as both versions of the interface say it.
enum Missing {
    InvalidName(String),
    Undefined(String),
}

impl Variables {
    /// The value of `name`, or why there is none.
    fn lookup(&self, name: String) -> Result<String, Missing> {
        if !valid_name(&name) {
            return Err(Missing::InvalidName(format!("{name:?}: use lower-case letters, digits and '_'")));
        }
        self.0.get(&name).cloned().ok_or(Missing::Undefined(name))
    }
}

/// [`HasData`] for the variables of a store.
pub struct VariablesData;

impl HasData for VariablesData {
    type Data<'a> = &'a Variables;
}

impl variables::Host for &Variables {}

impl<U> variables::HostWithStore<U> for VariablesData {
    async fn get(store: &Accessor<U, Self>, name: String) -> Result<String, Error> {
        store.with(|mut access| access.get().lookup(name)).map_err(|m| match m {
            Missing::InvalidName(why) => Error::InvalidName(why),
            Missing::Undefined(name) => Error::Undefined(name),
        })
    }
}

/// `fermyon:spin/variables@2.0.0`, the same answers for components built
/// with spin-sdk 2 to 5 (wasi:http 0.2), which glint serves with Spin's
/// interfaces only.
mod fermyon_v2 {
    wasmtime::component::bindgen!({
        inline: "
            package fermyon:spin@2.0.0;
            interface variables {
                get: func(name: string) -> result<string, error>;
                variant error { invalid-name(string), undefined(string), provider(string), other(string) }
            }
            world spin-variables { import variables; }
        ",
        world: "spin-variables",
    });
}

use fermyon_v2::fermyon::spin::variables as variables_v2;

impl variables_v2::Host for &Variables {
    fn get(&mut self, name: String) -> Result<String, variables_v2::Error> {
        self.lookup(name).map_err(|m| match m {
            Missing::InvalidName(why) => variables_v2::Error::InvalidName(why),
            Missing::Undefined(name) => variables_v2::Error::Undefined(name),
        })
    }
}

/// Adds `fermyon:spin/variables@2.0.0` to a linker; `get` picks a store's variables.
pub fn add_v2_to_linker<T: Send + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
    get: fn(&mut T) -> &Variables,
) -> anyhow::Result<()> {
    Ok(variables_v2::add_to_linker::<T, VariablesData>(linker, get)?)
}

/// Adds the interface to an app linker; `get` picks a store's variables.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
    get: fn(&mut T) -> &Variables,
) -> anyhow::Result<()> {
    Ok(variables::add_to_linker::<T, VariablesData>(linker, get)?)
}

fn valid_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Resolves the variables of component `id` against the application's
/// `[variables]` and the environment (`env` is `std::env::var` outside tests).
pub fn resolve(manifest: &SpinManifest, id: &str, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Variables> {
    let Some(component) = manifest.components.get(id) else { return Ok(Variables::default()) };
    let mut out = BTreeMap::new();
    for (name, template) in &component.variables {
        let value = fill(manifest, template, &env).map_err(|e| anyhow::anyhow!("component.{id}.variables.{name}: {e}"))?;
        out.insert(name.clone(), value);
    }
    Ok(Variables(out))
}

/// `template` with each `{{ name }}` replaced by the application variable
/// `name` (as Spin fills component variables and `allowed_outbound_hosts`).
pub fn fill(manifest: &SpinManifest, template: &str, env: &impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut value = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        value.push_str(&rest[..start]);
        let end = rest[start..].find("}}").ok_or_else(|| format!("unclosed {{{{ in {template:?}"))?;
        let app_var = rest[start + 2..start + end].trim();
        value.push_str(&app_value(manifest, app_var, env)?);
        rest = &rest[start + end + 2..];
    }
    value.push_str(rest);
    Ok(value)
}

fn app_value(manifest: &SpinManifest, name: &str, env: &impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let decl = manifest.variables.get(name).ok_or_else(|| format!("{{{{ {name} }}}} is not in [variables]"))?;
    if let Some(v) = env(&format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase())) {
        return Ok(v);
    }
    match decl.get("default").and_then(|d| d.as_str()) {
        Some(d) => Ok(d.to_string()),
        None => Err(format!("variable {name} is required: set $SPIN_VARIABLE_{}", name.to_ascii_uppercase())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const MANIFEST: &str = r#"
spin_manifest_version = 2
[application]
name = "t"
[variables]
title = { default = "glint" }
key = { required = true, secret = true }
[[trigger.http]]
route = "/..."
component = "web"
[component.web]
source = "web.wasm"
[component.web.variables]
site_title = "{{ title }} demo"
api_key = "{{ key }}"
"#;

    #[test]
    fn templates_defaults_and_environment() {
        let m = SpinManifest::parse(Path::new("spin.toml"), MANIFEST).unwrap();
        let env = |k: &str| (k == "SPIN_VARIABLE_KEY").then(|| "s3cret".to_string());
        let v = resolve(&m, "web", env).unwrap();
        assert_eq!(v.0["site_title"], "glint demo");
        assert_eq!(v.0["api_key"], "s3cret");
        let e = resolve(&m, "web", |_| None).unwrap_err().to_string();
        assert!(e.contains("api_key") && e.contains("SPIN_VARIABLE_KEY"), "{e}");
        assert!(valid_name("site_title") && !valid_name("Site") && !valid_name("a-b"));
        assert_eq!(v.lookup("site_title".into()).ok().as_deref(), Some("glint demo"));
        assert!(matches!(v.lookup("Site".into()), Err(Missing::InvalidName(why)) if why.contains("lower-case")));
        assert!(matches!(v.lookup("nothing".into()), Err(Missing::Undefined(n)) if n == "nothing"));
    }
}
