//===- sieve-import-tflite.cpp - Translate a .tflite model to TOSA --------===//
//
// Part of Sieve. Reads a TFLite flatbuffer and prints the TOSA module that
// sieve-compile would compile, with locations naming TFLite operators:
//
//   sieve-import-tflite model.tflite -o model.mlir
//
//===----------------------------------------------------------------------===//

#include "sieve/Import/TFLite/TFLiteImporter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<model.tflite>"), cl::Required);
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("file"), cl::init("-"));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  cl::ParseCommandLineOptions(
      argc, argv,
      "sieve-import-tflite: translate a TFLite flatbuffer to TOSA MLIR\n");

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> input = openInputFile(inputFile, &error);
  if (!input) {
    llvm::WithColor::error(llvm::errs(), "sieve-import-tflite")
        << error << "\n";
    return 1;
  }
  MLIRContext context;
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  sieve::TFLiteDiagnosticHandler tfliteDiagnostics(&context);
  OwningOpRef<ModuleOp> module = sieve::importTFLite(*input, &context);
  if (!module)
    return 1;
  auto output = openOutputFile(outputFile, &error);
  if (!output) {
    llvm::WithColor::error(llvm::errs(), "sieve-import-tflite")
        << error << "\n";
    return 1;
  }
  // --mlir-print-debuginfo shows the locations (TFLite operator and tensor).
  module->print(output->os(), OpPrintingFlags());
  output->os() << "\n";
  output->keep();
  return 0;
}
