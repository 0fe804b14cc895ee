//===- CodeEmitter.cpp - LLVM dialect to LLVM IR, assembly, object --------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Target/CodeEmitter.h"

#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/StandardInstrumentations.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>

using namespace mlir;
using namespace sieve;

/// LLVM's ARM constant-island pass places constant pools and relaxes
/// branches in rounds and gives up after 30 ("Constant Island pass failed to
/// converge!"). Patched models have long straight-line functions (unrolled
/// border and warm-up patches) that can need more (a cache-grid plan of
/// mcunet-in3 at 63,456 B for the Cortex-M55 did; it converged within 200).
/// A user's own -arm-constant-island-max-iteration wins.
static void allowMoreConstantIslandRounds() {
  auto &options = llvm::cl::getRegisteredOptions();
  auto it = options.find("arm-constant-island-max-iteration");
  if (it != options.end() && it->second->getNumOccurrences() == 0)
    (void)it->second->addOccurrence(0, it->first, "200");
}

static void initializeLLVMTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    allowMoreConstantIslandRounds();
  });
}

static std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const TargetInfo &target, std::string &error) {
  initializeLLVMTargets();
  llvm::Triple triple(target.triple);
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget)
    return nullptr;
  llvm::TargetOptions options;
  if (target.isMicrocontroller) {
    options.FloatABIType = llvm::FloatABI::Hard;
    // Let the firmware's linker drop what it does not call.
    options.FunctionSections = true;
    options.DataSections = true;
  }
  std::optional<llvm::Reloc::Model> reloc =
      target.isMicrocontroller ? llvm::Reloc::Static : llvm::Reloc::PIC_;
  return std::unique_ptr<llvm::TargetMachine>(llvmTarget->createTargetMachine(
      triple, target.cpu, target.features, options, reloc, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
}

/// The standard -O3 module pipeline, with the target's cost model so that
/// the vectorizers use its SIMD width.
static void optimize(llvm::Module &module, llvm::TargetMachine &machine) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  // The standard instrumentations make LLVM's -time-passes (and the other
  // -print-* options) cover this pipeline too, not only code generation.
  llvm::PassInstrumentationCallbacks callbacks;
  llvm::StandardInstrumentations instrumentations(module.getContext(),
                                                  /*DebugLogging=*/false);
  instrumentations.registerCallbacks(callbacks, &mam);
  llvm::PassBuilder builder(&machine, llvm::PipelineTuningOptions(),
                            std::nullopt, &callbacks);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager passes =
      builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  passes.run(module, mam);
}

FailureOr<std::string>
sieve::emitCode(ModuleOp module, const TargetInfo &target, CodeKind kind) {
  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(target, error);
  if (!machine)
    return module.emitError("cannot create an LLVM target machine for ")
           << target.triple << ": " << error;

  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context);
  if (!llvmModule)
    return module.emitError("translation to LLVM IR failed");
  llvmModule->setTargetTriple(llvm::Triple(target.triple));
  llvmModule->setDataLayout(machine->createDataLayout());
  for (llvm::Function &function : *llvmModule) {
    if (function.isDeclaration())
      continue;
    function.addFnAttr("target-cpu", target.cpu);
    if (!target.features.empty())
      function.addFnAttr("target-features", target.features);
  }
  optimize(*llvmModule, *machine);

  std::string result;
  llvm::raw_string_ostream os(result);
  if (kind == CodeKind::LLVMIR) {
    llvmModule->print(os, nullptr);
    return result;
  }
  llvm::SmallString<0> buffer;
  llvm::raw_svector_ostream stream(buffer);
  llvm::legacy::PassManager codegen;
  auto fileType = kind == CodeKind::Object
                      ? llvm::CodeGenFileType::ObjectFile
                      : llvm::CodeGenFileType::AssemblyFile;
  if (machine->addPassesToEmitFile(codegen, stream, nullptr, fileType))
    return module.emitError("the LLVM target for ")
           << target.triple << " cannot emit this file type";
  codegen.run(*llvmModule);
  return std::string(buffer.str());
}

std::vector<std::string> sieve::listUndefinedSymbols(llvm::StringRef object) {
  std::vector<std::string> names;
  auto file = llvm::object::ObjectFile::createObjectFile(
      llvm::MemoryBufferRef(object, "object"));
  if (!file) {
    llvm::consumeError(file.takeError());
    return names;
  }
  for (const llvm::object::SymbolRef &symbol : (*file)->symbols()) {
    auto flags = symbol.getFlags();
    if (!flags || !(*flags & llvm::object::SymbolRef::SF_Undefined)) {
      if (!flags)
        llvm::consumeError(flags.takeError());
      continue;
    }
    auto name = symbol.getName();
    if (!name) {
      llvm::consumeError(name.takeError());
      continue;
    }
    if (!name->empty())
      names.push_back(name->str());
  }
  llvm::sort(names);
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

uint64_t sieve::getCodeBytes(llvm::StringRef object) {
  auto file = llvm::object::ObjectFile::createObjectFile(
      llvm::MemoryBufferRef(object, "object"));
  if (!file) {
    llvm::consumeError(file.takeError());
    return 0;
  }
  uint64_t bytes = 0;
  for (const llvm::object::SectionRef &section : (*file)->sections())
    if (section.isText())
      bytes += section.getSize();
  return bytes;
}
