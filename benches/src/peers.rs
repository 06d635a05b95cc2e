//! Runs the generated Rego policy on regorus and the generated JDM decision
//! on zen-engine, returning findings as sorted (rule, level) pairs.

use std::sync::Arc;

use crate::floor_rt::Level;
use crate::lower::Lowered;

/// A compiled Rego policy on regorus's interpreter. Not `Sync`: clone one
/// per thread.
#[derive(Clone)]
pub struct Rego {
    engine: regorus::Engine,
}

impl Rego {
    /// Parses the policy.
    pub fn new(policy: &str) -> Result<Rego, String> {
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("hz.rego".into(), policy.into())
            .map_err(|e| e.to_string())?;
        Ok(Rego { engine })
    }

    /// The findings for one input, already converted to regorus values.
    pub fn findings(&mut self, input: regorus::Value) -> Result<Vec<(String, Level)>, String> {
        self.engine.set_input(input);
        let v = self
            .engine
            .eval_rule(crate::emit_rego::QUERY.into())
            .map_err(|e| e.to_string())?;
        rego_pairs(&v)
    }
}

/// The same policy compiled to regorus's register VM (RVM).
pub struct RegoVm {
    vm: regorus::rvm::RegoVM,
}

impl RegoVm {
    /// Compiles the policy for the VM.
    pub fn new(policy: &str) -> Result<RegoVm, String> {
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("hz.rego".into(), policy.into())
            .map_err(|e| e.to_string())?;
        let compiled = engine
            .compile_with_entrypoint(&crate::emit_rego::QUERY.into())
            .map_err(|e| e.to_string())?;
        let program = regorus::languages::rego::compiler::Compiler::compile_from_policy(
            &compiled,
            &[crate::emit_rego::QUERY],
        )
        .map_err(|e| e.to_string())?;
        let mut vm = regorus::rvm::RegoVM::new();
        vm.load_program(program);
        Ok(RegoVm { vm })
    }

    /// The findings for one input.
    pub fn findings(&mut self, input: regorus::Value) -> Result<Vec<(String, Level)>, String> {
        self.vm.set_input(input);
        let v = self.vm.execute().map_err(|e| e.to_string())?;
        rego_pairs(&v)
    }
}

fn rego_pairs(v: &regorus::Value) -> Result<Vec<(String, Level)>, String> {
    let mut out = Vec::new();
    if *v == regorus::Value::Undefined {
        return Ok(out);
    }
    for f in v.as_set().map_err(|e| e.to_string())?.iter() {
        let pair = f.as_array().map_err(|e| e.to_string())?;
        let (Some(rule), Some(level)) = (pair.first(), pair.get(1)) else {
            return Err("a finding that is not a pair".into());
        };
        let level = match level.as_string().map_err(|e| e.to_string())?.as_ref() {
            "major" => Level::Major,
            _ => Level::Ordinary,
        };
        out.push((
            rule.as_string().map_err(|e| e.to_string())?.to_string(),
            level,
        ));
    }
    out.sort();
    Ok(out)
}

/// A JDM decision on zen-engine, with its expressions compiled once.
pub struct Zen {
    decision: zen_engine::Decision,
    rules: Vec<String>,
}

impl Zen {
    /// Builds the decision from the generated graph.
    pub fn new(graph: &serde_json::Value, lowered: &Lowered) -> Result<Zen, String> {
        let content: zen_engine::model::GraphContent =
            serde_json::from_value(graph.clone()).map_err(|e| e.to_string())?;
        let mut decision = zen_engine::Decision::from(Arc::new(content));
        decision.compile();
        Ok(Zen {
            decision,
            rules: lowered.rules.iter().map(|r| r.id.clone()).collect(),
        })
    }

    /// The findings for one input, already converted to a zen variable.
    pub fn findings(&self, input: zen_engine::Variable) -> Result<Vec<(String, Level)>, String> {
        let response =
            pollster::block_on(self.decision.evaluate(input)).map_err(|e| format!("{e:?}"))?;
        let value = response.result.to_value();
        let mut out = Vec::new();
        for (k, rule) in self.rules.iter().enumerate() {
            match value.get(format!("r{k}")).and_then(|v| v.as_str()) {
                Some("major") => out.push((rule.clone(), Level::Major)),
                Some(_) => out.push((rule.clone(), Level::Ordinary)),
                None => {}
            }
        }
        out.sort();
        Ok(out)
    }
}
