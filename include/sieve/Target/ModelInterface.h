//===- ModelInterface.h - A compiled model seen from C ----------*- C++ -*-===//
//
// Part of Sieve. The facts about a compiled model that its users rely on:
// the entry point's inputs and outputs and the memory plan. Extracted once
// from the IR after `sieve-export-entry`, then written as a C header, a JSON
// report and a table (docs/abi.md and docs/report.md describe them).
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_TARGET_MODELINTERFACE_H
#define SIEVE_TARGET_MODELINTERFACE_H

#include "sieve/Target/TargetInfo.h"
#include "sieve/Transforms/MemoryPlan.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace sieve {

struct TensorInterface {
  std::string name;
  std::vector<int64_t> shape;
  /// MLIR element type ("i8", "f32") and the C type that holds it.
  std::string elementType;
  std::string cType;
  uint64_t bytes = 0;
  std::optional<int64_t> zeroPoint;
  std::optional<double> scale;
};

/// A run-time check of the model (a `cf.assert` of the exporter): when it
/// fails first, the entry point returns `status`.
struct RuntimeCheck {
  int64_t status = 0;
  std::string message, loc;
};

/// One layer that the 'ternary' stage raised (docs/ternary.md).
struct TernaryLayer {
  std::string location, kernel, packing, activations;
  int64_t m = 0, n = 0, k = 0;
  uint64_t packedBytes = 0;
  /// Relative error of weights quantised by --ternary-quantize.
  std::optional<double> quantizationError;
};

struct ModelInterface {
  std::string name;
  std::string entrySymbol;
  /// The entry function's name in the source model.
  std::string sourceFunction;
  std::vector<TensorInterface> inputs, outputs;
  MemoryPlan memory;
  /// Bytes of constant globals (weights, tables): flash on an MCU.
  uint64_t weightBytes = 0;
  /// Multiply-accumulates of one run, counted on linalg before tiling.
  uint64_t macs = 0;
  std::vector<RuntimeCheck> checks;
  std::vector<TernaryLayer> ternaryLayers;
};

/// Reads the interface from a module after `sieve-export-entry`.
mlir::FailureOr<ModelInterface> extractModelInterface(mlir::ModuleOp module,
                                                      llvm::StringRef name);

/// The C header: entry point prototype, arena size and alignment, shapes,
/// element types and quantisation parameters of every input and output.
void emitCHeader(const ModelInterface &model, const TargetInfo &target,
                 llvm::raw_ostream &os);

/// Facts the report adds beyond the interface.
struct ReportContext {
  std::string source;
  /// Symbols the object file leaves for the link (memcpy, ...).
  std::vector<std::string> undefinedSymbols;
  uint64_t codeBytes = 0;
};

/// The memory report as JSON (fields in docs/report.md).
void emitJsonReport(const ModelInterface &model, const TargetInfo &target,
                    const ReportContext &context, llvm::raw_ostream &os);

/// The memory report as a table for people.
void printReportTable(const ModelInterface &model, const TargetInfo &target,
                      const ReportContext &context, llvm::raw_ostream &os);

} // namespace sieve

#endif // SIEVE_TARGET_MODELINTERFACE_H
