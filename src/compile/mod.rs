//! Checked IR → bytecode: the instruction set (`instr`), the compiled
//! program (`program`), code generation (`codegen`).

pub mod codegen;
pub mod instr;
pub mod program;

pub use codegen::compile;
pub use program::Program;
