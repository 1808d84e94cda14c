//! Checked IR → bytecode: the instruction set (`instr`), the compiled
//! program (`program`), code generation (`codegen`).

pub mod codegen;
pub mod disasm;
pub mod file;
pub mod instr;
pub mod program;
pub mod verify;

pub use codegen::compile;
pub use program::Program;
