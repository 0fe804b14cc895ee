//===- TFLiteImporter.h - Read a .tflite model as TOSA ----------*- C++ -*-===//
//
// Part of Sieve. Microcontroller developers have .tflite files; Sieve reads
// them itself, without TensorFlow, into the TOSA that its pipeline compiles
// (docs/tflite.md).
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_IMPORT_TFLITE_TFLITEIMPORTER_H
#define SIEVE_IMPORT_TFLITE_TFLITEIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/MemoryBufferRef.h"

namespace sieve {

/// Whether `bytes` start like a TFLite flatbuffer: the file identifier
/// "TFL3" at bytes 4 to 8. Cheap; says nothing about the rest of the file.
bool isTFLiteFlatbuffer(llvm::StringRef bytes);

/// Reads the TFLite model in `buffer` (its identifier names the file in
/// diagnostics) and returns a module with one function, `main`, in TOSA 1.0:
/// int8 operators as TOSA int8 with `tosa.rescale` bit-exact with TFLite's
/// reference kernels where TOSA can express them (docs/tflite.md lists the
/// exceptions), float32 operators as float TOSA, weights as `tosa.const`.
/// Arguments and results carry the TFLite tensor names (`sieve.name`) and
/// quantisation (`sieve.scale`, `sieve.zero_point`) for the C header.
///
/// Every op's location names the model, the TFLite operator index, its
/// opcode and its output tensor, e.g.
/// `loc("model.tflite op 3 CONV_2D -> conv1/Relu6")`.
///
/// The flatbuffer is checked with the flatbuffers verifier before anything is
/// read from it; malformed or unsupported models (unknown operators, tensor
/// types or shapes Sieve cannot compile, buffers outside the file) give an
/// error diagnostic and a null module, never a crash.
mlir::OwningOpRef<mlir::ModuleOp> importTFLite(llvm::MemoryBufferRef buffer,
                                               mlir::MLIRContext *context);

/// Prints diagnostics at locations in a TFLite model (name locations) as
/// `<file> op <index> <OPCODE> -> <tensor>: error: <message>`, with their
/// notes; diagnostics at other locations go on to the handlers registered
/// before it. A source manager's handler would print `<unknown>:0:` and the
/// location in MLIR syntax instead, and must never try to show a "line" of
/// the binary file.
class TFLiteDiagnosticHandler : public mlir::ScopedDiagnosticHandler {
public:
  explicit TFLiteDiagnosticHandler(mlir::MLIRContext *context,
                                   llvm::raw_ostream &os = llvm::errs());
};

} // namespace sieve

#endif // SIEVE_IMPORT_TFLITE_TFLITEIMPORTER_H
