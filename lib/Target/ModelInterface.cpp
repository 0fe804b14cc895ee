//===- ModelInterface.cpp - What a compiled model looks like from C -------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Target/ModelInterface.h"

#include "sieve/Analysis/AttentionPattern.h"
#include "sieve/Analysis/BufferLiveness.h"
#include "sieve/Dialect/Attn/IR/AttnOps.h"
#include "sieve/Transforms/AttentionConv.h"
#include "sieve/Transforms/EntryFunction.h"
#include "sieve/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace sieve;

static std::string cTypeFor(Type type) {
  if (type.isInteger(1))
    return "uint8_t";
  if (auto intType = dyn_cast<IntegerType>(type))
    return ("int" + Twine(llvm::PowerOf2Ceil(intType.getWidth())) + "_t").str();
  if (type.isF32())
    return "float";
  if (type.isF64())
    return "double";
  if (type.isF16() || type.isBF16())
    return "uint16_t"; // raw bits: C has no portable half type
  return "uint8_t";
}

static std::string typeName(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type;
  return text;
}

static TensorInterface describeTensor(MemRefType type, DictionaryAttr info,
                                      StringRef fallbackName) {
  TensorInterface tensor;
  tensor.name = fallbackName.str();
  if (info) {
    if (auto name = info.getAs<StringAttr>("name"))
      tensor.name = name.str();
    if (auto zp = info.getAs<IntegerAttr>("zero_point"))
      tensor.zeroPoint = zp.getInt();
    if (auto scale = info.getAs<FloatAttr>("scale"))
      tensor.scale = scale.getValueAsDouble();
  }
  tensor.shape.assign(type.getShape().begin(), type.getShape().end());
  tensor.elementType = typeName(type.getElementType());
  tensor.cType = cTypeFor(type.getElementType());
  tensor.bytes = getStaticByteSize(type);
  return tensor;
}

uint64_t ParallelInfo::scratchBytesPerWorker() const {
  uint64_t bytes = 0;
  for (const ParallelLoop &loop : loops)
    bytes += loop.scratchBytes;
  return bytes;
}

static std::optional<ParallelInfo> readParallelPlan(DictionaryAttr plan) {
  if (!plan)
    return std::nullopt;
  ParallelInfo info;
  if (auto outlined = plan.getAs<BoolAttr>("outlined"))
    info.entry = outlined.getValue();
  if (auto workers = plan.getAs<IntegerAttr>("max_workers"))
    info.maxWorkers = workers.getInt();
  if (auto loops = plan.getAs<ArrayAttr>("loops"))
    for (auto loop : loops.getAsRange<DictionaryAttr>()) {
      ParallelLoop &l = info.loops.emplace_back();
      if (auto loc = loop.getAs<StringAttr>("loc"))
        l.loc = loc.str();
      if (auto tasks = loop.getAs<IntegerAttr>("tasks"))
        l.tasks = tasks.getInt();
      if (auto bytes = loop.getAs<IntegerAttr>("scratch_bytes"))
        l.scratchBytes = bytes.getInt();
      if (auto buffers = loop.getAs<IntegerAttr>("scratch_buffers"))
        l.scratchBuffers = buffers.getInt();
    }
  return info;
}

FailureOr<ModelInterface> sieve::extractModelInterface(ModuleOp module,
                                                       StringRef name) {
  func::FuncOp func = getEntryFunction(module);
  if (!func)
    return module.emitError("no entry function marked 'sieve.entry'");
  auto inputs = func->getAttrOfType<ArrayAttr>(attrs::kInputs);
  auto outputs = func->getAttrOfType<ArrayAttr>(attrs::kOutputs);
  auto plan = func->getAttrOfType<DictionaryAttr>(attrs::kMemoryPlan);
  if (!inputs || !outputs || !plan)
    return func.emitError("the entry function lacks the interface and memory "
                          "plan attributes (run sieve-record-interface and "
                          "sieve-plan-memory)");
  unsigned numArgs = func.getNumArguments();
  if (numArgs != inputs.size() + outputs.size() + 1)
    return func.emitError("expected ")
           << inputs.size() << " inputs, " << outputs.size()
           << " outputs and the arena as arguments, got " << numArgs;

  ModelInterface model;
  model.name = name.str();
  model.entrySymbol = func.getName().str();
  auto sourceName = func->getAttrOfType<StringAttr>("sieve.source_name");
  model.sourceFunction = sourceName ? sourceName.str() : model.entrySymbol;
  for (unsigned i = 0; i < numArgs - 1; ++i) {
    auto type = cast<MemRefType>(func.getArgument(i).getType());
    bool isInput = i < inputs.size();
    unsigned index = isInput ? i : i - inputs.size();
    auto info =
        dyn_cast<DictionaryAttr>(isInput ? inputs[index] : outputs[index]);
    TensorInterface tensor = describeTensor(
        type, info, ((isInput ? "in" : "out") + Twine(index)).str());
    (isInput ? model.inputs : model.outputs).push_back(std::move(tensor));
  }

  std::optional<MemoryPlan> memory = MemoryPlan::fromAttr(plan);
  if (!memory)
    return func.emitError("malformed '")
           << attrs::kMemoryPlan << "' attribute: " << plan;
  model.memory = std::move(*memory);
  if (auto checks = func->getAttrOfType<ArrayAttr>(attrs::kChecks))
    for (auto check : checks.getAsRange<DictionaryAttr>()) {
      RuntimeCheck &c = model.checks.emplace_back();
      if (auto status = check.getAs<IntegerAttr>("status"))
        c.status = status.getInt();
      if (auto message = check.getAs<StringAttr>("message"))
        c.message = message.str();
      if (auto loc = check.getAs<StringAttr>("loc"))
        c.loc = loc.str();
    }
  if (auto layers = func->getAttrOfType<ArrayAttr>("sieve.ternary"))
    for (auto layer : layers.getAsRange<DictionaryAttr>()) {
      TernaryLayer &t = model.ternaryLayers.emplace_back();
      auto str = [&](StringRef key) {
        auto a = layer.getAs<StringAttr>(key);
        return a ? a.str() : std::string();
      };
      auto num = [&](StringRef key) -> int64_t {
        auto a = layer.getAs<IntegerAttr>(key);
        return a ? a.getInt() : 0;
      };
      t.location = str("location");
      t.kernel = str("kernel");
      t.packing = str("packing");
      t.activations = str("activations");
      t.m = num("m");
      t.n = num("n");
      t.k = num("k");
      t.packedBytes = num("packed_bytes");
      if (auto e = layer.getAs<FloatAttr>("quantization_error"))
        t.quantizationError = e.getValueAsDouble();
    }
  if (auto layers = func->getAttrOfType<ArrayAttr>("sieve.int8_kernels")) {
    model.int8Layers.emplace();
    for (auto layer : layers.getAsRange<DictionaryAttr>()) {
      Int8Layer &l = model.int8Layers->emplace_back();
      auto str = [&](StringRef key) {
        auto a = layer.getAs<StringAttr>(key);
        return a ? a.str() : std::string();
      };
      l.location = str("location");
      l.op = str("op");
      l.kernel = str("kernel");
      l.fused = str("fused");
      if (auto bytes = layer.getAs<IntegerAttr>("packed_bytes"))
        l.packedBytes = bytes.getInt();
    }
  }
  // Each ternary layer's packed weights count at their packed size, also
  // where they are not stored as data: packed bytes that are a splat, or the
  // one byte a single-channel layer reads, are folded into constants by the
  // canonicaliser and leave no global. A layer's global is a constant i8
  // global of its packed size; the layers without one are added.
  SmallVector<uint64_t> unmatchedPacked;
  for (const TernaryLayer &t : model.ternaryLayers)
    unmatchedPacked.push_back(t.packedBytes);
  for (auto global : module.getOps<memref::GlobalOp>()) {
    if (!global.getConstant() || !global.getInitialValue())
      continue;
    uint64_t bytes = getStaticByteSize(global.getType());
    model.weightBytes += bytes;
    if (global.getType().getElementType().isInteger(8)) {
      auto *it = llvm::find(unmatchedPacked, bytes);
      if (it != unmatchedPacked.end())
        unmatchedPacked.erase(it);
    }
  }
  for (uint64_t bytes : unmatchedPacked)
    model.weightBytes += bytes;
  model.parallel = readParallelPlan(
      func->getAttrOfType<DictionaryAttr>(attrs::kParallelPlan));
  return model;
}

//===----------------------------------------------------------------------===//
// C header
//===----------------------------------------------------------------------===//

static std::string shapeText(ArrayRef<int64_t> shape, StringRef separator) {
  std::string text;
  for (auto [i, dim] : llvm::enumerate(shape))
    text += (i ? separator.str() : "") + std::to_string(dim);
  return text;
}

static int64_t numElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t dim : shape)
    n *= dim;
  return n;
}

/// `text` with nothing that could end a C comment or a line.
static std::string cCommentText(StringRef text) {
  std::string safe;
  for (char c : text) {
    if (c == '\n' || c == '\r')
      c = ' ';
    if (c == '/' && !safe.empty() && safe.back() == '*')
      safe += ' ';
    safe += c;
  }
  return safe;
}

static void emitTensorMacros(const TensorInterface &tensor, StringRef prefix,
                             llvm::raw_ostream &os) {
  os << "/* \"" << cCommentText(tensor.name) << "\": " << tensor.elementType
     << " [" << shapeText(tensor.shape, ", ") << "]";
  if (tensor.zeroPoint)
    os << ", zero point " << *tensor.zeroPoint;
  if (tensor.scale)
    os << ", scale " << llvm::formatv("{0:g}", *tensor.scale).str();
  os << " */\n";
  os << "typedef " << tensor.cType << " " << llvm::StringRef(prefix).lower()
     << "_t;\n";
  os << "#define " << prefix << "_RANK " << tensor.shape.size() << "\n";
  os << "#define " << prefix << "_SHAPE {" << shapeText(tensor.shape, ", ")
     << "}\n";
  os << "#define " << prefix << "_ELEMENTS " << numElements(tensor.shape)
     << "u\n";
  os << "#define " << prefix << "_BYTES " << tensor.bytes << "u\n";
  if (tensor.zeroPoint)
    os << "#define " << prefix << "_ZERO_POINT (" << *tensor.zeroPoint << ")\n";
  if (tensor.scale)
    os << "#define " << prefix << "_SCALE "
       << llvm::formatv("{0:e}", *tensor.scale).str() << "\n";
  os << "\n";
}

/// The hook types (shared by every model header, hence the guard), the
/// workers and `<name>_run_parallel`.
static void emitParallelEntry(const ModelInterface &model, StringRef upper,
                              llvm::raw_ostream &os) {
  os << "#ifndef SIEVE_PARALLEL_FOR_DEFINED\n"
        "#define SIEVE_PARALLEL_FOR_DEFINED\n"
        "/* A parallel-for hook (docs/parallel.md) calls fn(ctx, task, worker) "
        "exactly once for\n   every task in [0, num_tasks) and returns after "
        "all calls returned. worker is in\n   [0, max_workers); two calls "
        "that run at the same time never get the same worker.\n   A serial "
        "implementation is: for (t...) fn(ctx, t, 0). */\n"
        "typedef void (*sieve_task_fn)(void *ctx, int32_t task, int32_t "
        "worker);\n"
        "typedef void (*sieve_parallel_for_fn)(void *pool, int32_t num_tasks, "
        "int32_t max_workers,\n"
        "                                      sieve_task_fn fn, void *ctx);\n"
        "#endif\n\n";
  const ParallelInfo &parallel = *model.parallel;
  os << "/* Workers the arena has scratch for: a hook gets this max_workers. "
        "*/\n";
  os << "#define " << upper << "_MAX_WORKERS " << parallel.maxWorkers << "\n";
  os << "/* Runs the model as " << model.entrySymbol << " does, with its "
     << parallel.loops.size()
     << " parallel loop(s) split into tasks\n   through parallel_for(pool, "
        "...); parallel_for == NULL runs them serially. */\n";
  os << "int32_t " << model.name << "_run_parallel(";
  for (auto [i, tensor] : llvm::enumerate(model.inputs))
    os << "const " << tensor.cType << " *in" << i << ", ";
  for (auto [i, tensor] : llvm::enumerate(model.outputs))
    os << tensor.cType << " *out" << i << ", ";
  os << "void *arena,\n    sieve_parallel_for_fn parallel_for, void *pool);"
        "\n\n";
}

void sieve::emitCHeader(const ModelInterface &model, const TargetInfo &target,
                        llvm::raw_ostream &os) {
  std::string upper = StringRef(model.name).upper();
  std::string guard = "SIEVE_MODEL_" + upper + "_H";
  os << "/* " << model.name << ".h: interface of the model compiled by "
     << "sieve-compile for " << target.name << " (" << target.triple
     << ").\n   Generated file; see docs/abi.md. */\n";
  os << "#ifndef " << guard << "\n#define " << guard << "\n\n";
  os << "#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  os << "/* Scratch memory for every intermediate tensor: the caller provides "
        "ARENA_SIZE bytes\n   aligned to ARENA_ALIGN. Its contents need no "
        "initialisation and are garbage afterwards. */\n";
  os << "#define " << upper << "_ARENA_SIZE " << model.memory.arenaSize
     << "u\n";
  os << "#define " << upper << "_ARENA_ALIGN " << model.memory.alignment
     << "u\n";
  os << "/* Constant data (weights, tables) in the object's read-only "
        "section: flash on an MCU. */\n";
  os << "#define " << upper << "_WEIGHT_BYTES " << model.weightBytes << "u\n";
  os << "#define " << upper << "_NUM_INPUTS " << model.inputs.size() << "\n";
  os << "#define " << upper << "_NUM_OUTPUTS " << model.outputs.size()
     << "\n\n";
  for (auto [i, tensor] : llvm::enumerate(model.inputs))
    emitTensorMacros(tensor, upper + "_INPUT" + std::to_string(i), os);
  for (auto [i, tensor] : llvm::enumerate(model.outputs))
    emitTensorMacros(tensor, upper + "_OUTPUT" + std::to_string(i), os);

  // Decode over KV caches (docs/abi.md, "KV cache"): the bounds, so that
  // the caller can size its cache buffers and compute the bytes in use.
  SmallVector<const AttentionInfo *> caches;
  for (const AttentionInfo &a : model.attention)
    if (a.cacheCapacity >= 0)
      caches.push_back(&a);
  if (!caches.empty()) {
    auto list = [&](auto field) {
      std::string text;
      for (const AttentionInfo *a : caches)
        text += (text.empty() ? "" : ", ") + std::to_string(field(*a));
      return "{" + text + "}";
    };
    os << "/* KV caches read by decode attention, in program order: capacity "
          "in tokens, and\n   bytes per cached token (keys and values, every "
          "KV head, one batch index).\n   A cache holding n tokens uses n * "
          "TOKEN_BYTES bytes of its buffers. */\n";
    os << "#define " << upper << "_KV_CACHES " << caches.size() << "\n";
    os << "#define " << upper << "_KV_CACHE_CAPACITY "
       << list([](const AttentionInfo &a) { return a.cacheCapacity; }) << "\n";
    os << "#define " << upper << "_KV_CACHE_TOKEN_BYTES "
       << list([](const AttentionInfo &a) { return a.cacheTokenBytes; })
       << "\n\n";
  }

  os << "/* Runs the model once. Inputs, outputs and the arena must not "
        "overlap.\n   Reentrant if each call has its own arena. Returns 0";
  if (model.checks.empty()) {
    os << ". */\n";
  } else {
    os << ", or the number of the first run-time check\n   that failed (the "
          "outputs are then unspecified):\n";
    for (const RuntimeCheck &check : model.checks)
      os << "     " << check.status << ": " << cCommentText(check.message)
         << (check.loc.empty() ? "" : " (" + cCommentText(check.loc) + ")")
         << "\n";
    os << " */\n";
  }
  os << "int32_t " << model.entrySymbol << "(";
  bool first = true;
  auto comma = [&] {
    if (!first)
      os << ", ";
    first = false;
  };
  for (auto [i, tensor] : llvm::enumerate(model.inputs)) {
    comma();
    os << "const " << tensor.cType << " *in" << i;
  }
  for (auto [i, tensor] : llvm::enumerate(model.outputs)) {
    comma();
    os << tensor.cType << " *out" << i;
  }
  comma();
  os << "void *arena);\n\n";
  if (model.parallel && model.parallel->entry)
    emitParallelEntry(model, upper, os);
  os << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
}

//===----------------------------------------------------------------------===//
// Report
//===----------------------------------------------------------------------===//

static const char *kMemoryRule =
    "arena = every intermediate buffer, placed at static offsets; network "
    "inputs and outputs live in caller buffers and are not counted; weights "
    "are read-only globals (flash), counted separately; an elementwise op "
    "whose input dies where its same-sized output is born writes in place; "
    "lower bound = the largest sum of simultaneously live buffers (sizes "
    "rounded up to the alignment)";

static void writeTensor(llvm::json::OStream &j, const TensorInterface &t) {
  j.object([&] {
    j.attribute("name", t.name);
    j.attributeArray("shape", [&] {
      for (int64_t dim : t.shape)
        j.value(dim);
    });
    j.attribute("element_type", t.elementType);
    j.attribute("c_type", t.cType);
    j.attribute("bytes", t.bytes);
    if (t.zeroPoint)
      j.attribute("zero_point", *t.zeroPoint);
    if (t.scale)
      j.attribute("scale", *t.scale);
  });
}

void sieve::emitJsonReport(const ModelInterface &model,
                           const TargetInfo &target,
                           const ReportContext &context,
                           llvm::raw_ostream &os) {
  const MemoryPlan &m = model.memory;
  llvm::json::OStream j(os, 2);
  j.object([&] {
    j.attribute("model", model.name);
    j.attribute("source", context.source);
    j.attribute("entry", model.entrySymbol);
    j.attribute("function", model.sourceFunction);
    j.attributeObject("target", [&] {
      j.attribute("name", target.name);
      j.attribute("triple", target.triple);
      j.attribute("cpu", target.cpu);
      j.attribute("features", target.features);
      j.attribute("microcontroller", target.isMicrocontroller);
      j.attribute("sram_bytes", target.sramBytes);
      j.attribute("flash_bytes", target.flashBytes);
      j.attribute("runner", stringifyRunner(target.runner));
      j.attribute("run_command", target.runCommand);
    });
    j.attributeArray("inputs", [&] {
      for (const TensorInterface &t : model.inputs)
        writeTensor(j, t);
    });
    j.attributeArray("outputs", [&] {
      for (const TensorInterface &t : model.outputs)
        writeTensor(j, t);
    });
    j.attributeObject("memory", [&] {
      j.attribute("rule", kMemoryRule);
      j.attribute("arena_bytes", m.arenaSize);
      j.attribute("lower_bound_bytes", m.lowerBound);
      j.attribute("arena_over_lower_bound",
                  m.lowerBound ? double(m.arenaSize) / m.lowerBound : 1.0);
      j.attribute("greedy_by_size_bytes", m.greedyBySize);
      j.attribute("strategy", m.strategy);
      j.attribute("alignment", m.alignment);
      j.attribute("budget_bytes", m.budget);
      j.attributeObject("peak", [&] {
        j.attribute("op_index", m.peakIndex);
        j.attribute("op", m.peakOp);
      });
      j.attribute("weight_bytes", model.weightBytes);
      uint64_t io = 0;
      for (const TensorInterface &t : model.inputs)
        io += t.bytes;
      for (const TensorInterface &t : model.outputs)
        io += t.bytes;
      j.attribute("io_bytes", io);
      j.attributeArray("buffers", [&] {
        for (auto [i, b] : llvm::enumerate(m.buffers))
          j.object([&] {
            j.attribute("id", static_cast<int64_t>(i));
            j.attribute("bytes", b.size);
            j.attribute("offset", b.offset);
            j.attribute("first_op", b.first);
            j.attribute("last_op", b.last);
            j.attribute("produced_by", b.op);
            j.attribute("location", b.loc);
            if (b.sharesWith) {
              j.attribute("shares_with", *b.sharesWith);
              j.attribute("sharing", b.sharing);
            }
          });
      });
    });
    j.attribute("macs", model.macs);
    if (model.patch)
      j.attributeObject("patch", [&] {
        const PatchInfo &p = *model.patch;
        j.attribute("rule", p.rule);
        j.attribute("plain_peak", p.plainPeak);
        j.attribute("peak", p.peak);
        j.attribute("plain_macs", p.plainMacs);
        j.attribute("mac_overhead", p.macOverhead);
        j.attribute("plan_budget", p.planBudget);
        j.attributeArray("stages", [&] {
          for (const PatchStageInfo &stage : p.stages)
            j.object([&] {
              j.attribute("first", stage.first);
              j.attribute("last", stage.last);
              j.attributeArray("grid", [&] {
                j.value(stage.grid[0]);
                j.value(stage.grid[1]);
              });
              j.attributeArray("tile", [&] {
                j.value(stage.tile[0]);
                j.value(stage.tile[1]);
              });
              j.attributeArray("halo", [&] {
                for (int64_t h : stage.halo)
                  j.value(h);
              });
              j.attribute("strategy", stage.strategy);
              j.attribute("static_borders", stage.staticBorders);
            });
        });
        j.attributeArray("pareto", [&] {
          for (auto [peak, macs] : p.pareto)
            j.object([&] {
              j.attribute("peak", peak);
              j.attribute("macs", macs);
              j.attribute("mac_overhead",
                          p.plainMacs ? double(macs) / p.plainMacs : 1.0);
            });
        });
      });
    j.attributeArray("checks", [&] {
      for (const RuntimeCheck &check : model.checks)
        j.object([&] {
          j.attribute("status", check.status);
          j.attribute("message", check.message);
          j.attribute("location", check.loc);
        });
    });
    j.attributeArray("attention", [&] {
      for (const AttentionInfo &a : model.attention)
        j.object([&] {
          j.attribute("location", a.location);
          j.attribute("kind", a.kind);
          j.attribute("pattern", a.pattern);
          j.attribute("query_length", a.queryLength);
          j.attribute("key_length", a.keyLength);
          j.attribute("batch", a.batch);
          j.attribute("heads", a.heads);
          j.attribute("kv_heads", a.kvHeads);
          j.attribute("depth", a.depth);
          j.attribute("value_depth", a.valueDepth);
          j.attribute("element_type", a.elementType);
          j.attribute("pairs", a.pairs);
          j.attribute("causal_pairs", a.causalPairs);
          j.attribute("causal_over_pairs",
                      a.pairs ? double(a.causalPairs) / a.pairs : 0.0);
          j.attribute("changes_model", a.changesModel);
          if (a.queryConv || a.keyConv) {
            j.attribute("query_conv", a.queryConv);
            j.attribute("key_conv", a.keyConv);
            j.attribute("query_conv_fused", a.queryConvFused);
            // K is always materialised: recomputing it in the flash loop
            // repeats k C MACs per key for every query block
            // (docs/attention.md has the numbers).
            j.attribute("key_conv_fused", false);
            j.attribute("conv_tensor_bytes", a.convTensorBytes);
            j.attribute("fused_bytes", a.fusedBytes);
          }
          if (a.errorRows)
            j.attributeObject("error_vs_dense", [&] {
              j.attribute("max_rel", a.maxRelError);
              j.attribute("mean_rel", a.meanRelError);
              j.attribute("rms", a.rmsError);
              j.attribute("rows", a.errorRows);
              j.attribute("seed", a.errorSeed);
              j.attribute("inputs", "uniform, mean 0, variance 1");
              j.attribute("dropped_pairs",
                          a.causalPairs ? 1.0 - double(a.pairs) / a.causalPairs
                                        : 0.0);
            });
          if (a.keptMax >= 0) {
            j.attribute("kept_min", a.keptMin);
            j.attribute("kept_max", a.keptMax);
          }
          if (a.cacheCapacity >= 0) {
            j.attribute("kv_cache_capacity", a.cacheCapacity);
            j.attribute("kv_cache_token_bytes", a.cacheTokenBytes);
            j.attribute("kv_cache_bytes_max",
                        a.cacheCapacity * a.cacheTokenBytes * a.batch);
          }
        });
    });
    if (model.parallel)
      j.attributeObject("parallel", [&] {
        const ParallelInfo &p = *model.parallel;
        if (p.entry)
          j.attribute("entry", model.name + "_run_parallel");
        else
          j.attribute("entry", nullptr);
        j.attribute("max_workers", static_cast<int64_t>(p.maxWorkers));
        j.attribute("scratch_bytes_per_worker", p.scratchBytesPerWorker());
        j.attributeArray("loops", [&] {
          for (const ParallelLoop &loop : p.loops)
            j.object([&] {
              j.attribute("location", loop.loc);
              j.attribute("tasks", loop.tasks);
              j.attribute("scratch_bytes_per_worker", loop.scratchBytes);
              j.attribute("scratch_buffers", loop.scratchBuffers);
            });
        });
      });
    j.attributeObject("ternary", [&] {
      uint64_t packed = 0;
      for (const TernaryLayer &t : model.ternaryLayers)
        packed += t.packedBytes;
      j.attribute("packed_weight_bytes", packed);
      j.attributeArray("layers", [&] {
        for (const TernaryLayer &t : model.ternaryLayers)
          j.object([&] {
            j.attribute("location", t.location);
            j.attribute("m", t.m);
            j.attribute("n", t.n);
            j.attribute("k", t.k);
            j.attribute("activations", t.activations);
            j.attribute("kernel", t.kernel);
            j.attribute("packing", t.packing);
            j.attribute("packed_bytes", t.packedBytes);
            if (t.quantizationError)
              j.attribute("quantization_error", *t.quantizationError);
          });
      });
    });
    if (model.int8Layers)
      j.attributeObject("int8", [&] {
        uint64_t packed = 0;
        for (const Int8Layer &l : *model.int8Layers)
          packed += l.packedBytes;
        j.attribute("packed_weight_bytes", packed);
        j.attributeArray("layers", [&] {
          for (const Int8Layer &l : *model.int8Layers)
            j.object([&] {
              j.attribute("location", l.location);
              j.attribute("op", l.op);
              j.attribute("kernel", l.kernel);
              if (!l.fused.empty())
                j.attribute("fused", l.fused);
              j.attribute("packed_bytes", l.packedBytes);
            });
        });
      });
    j.attribute("code_bytes", context.codeBytes);
    j.attributeArray("undefined_symbols", [&] {
      for (const std::string &symbol : context.undefinedSymbols)
        j.value(symbol);
    });
  });
  os << "\n";
}

static std::string bytesText(uint64_t bytes) {
  if (bytes < 1024)
    return std::to_string(bytes) + " B";
  return llvm::formatv("{0} B ({1:f1} KiB)", bytes, bytes / 1024.0).str();
}

void sieve::printReportTable(const ModelInterface &model,
                             const TargetInfo &target,
                             const ReportContext &context,
                             llvm::raw_ostream &os) {
  const MemoryPlan &m = model.memory;
  os << "Sieve memory report: " << model.name << " for " << target.name << " ("
     << target.triple << ")\n";
  auto row = [&](StringRef label, const std::string &value) {
    os << llvm::formatv("  {0,-24}{1}\n", label, value);
  };
  row("arena", bytesText(m.arenaSize) +
                   (m.budget ? ", budget " + bytesText(m.budget) : ""));
  row("lower bound",
      bytesText(m.lowerBound) +
          llvm::formatv(", arena/bound = {0:f3}",
                        m.lowerBound ? double(m.arenaSize) / m.lowerBound : 1.0)
              .str());
  row("greedy by size", bytesText(m.greedyBySize) + " (TFLite Micro's rule)");
  row("placement", m.strategy);
  row("peak at", "op " + std::to_string(m.peakIndex) + ": " + m.peakOp);
  row("weights (flash)", bytesText(model.weightBytes));
  if (model.macs)
    row("MACs", std::to_string(model.macs));
  if (model.patch) {
    const PatchInfo &p = *model.patch;
    row("patched",
        llvm::formatv("MAC overhead {0:f3}, planned peak {1} "
                      "({2} unpatched)",
                      p.macOverhead, bytesText(p.peak), bytesText(p.plainPeak))
                .str() +
            (p.planBudget && m.budget && p.planBudget < m.budget
                 ? ", planned for " + bytesText(p.planBudget)
                 : ""));
    for (const PatchStageInfo &stage : p.stages)
      row("  stage",
          llvm::formatv("{0} .. {1}: grid {2}x{3}, tile {4}x{5}, {6}",
                        stage.first, stage.last, stage.grid[0], stage.grid[1],
                        stage.tile[0], stage.tile[1], stage.strategy)
              .str());
  }
  for (const AttentionInfo &a : model.attention) {
    std::string convText;
    if (a.queryConvFused)
      convText = llvm::formatv(", Q computed from its causal conv (k = {0}) "
                               "in the flash loop",
                               a.queryConv);
    if (a.keyConv)
      convText += llvm::formatv(
          ", K from its causal conv (k = {0}) materialised (recomputing it for "
          "every query block would cost k*C/(2*block) times the attention's "
          "work)",
          a.keyConv);
    row("attention",
        llvm::formatv("{0} {1}, L {2}x{3}, {4} heads ({5} KV), {6} of {7} "
                      "causal pairs{8}{9}",
                      a.kind, a.pattern, a.queryLength, a.keyLength, a.heads,
                      a.kvHeads, a.pairs, a.causalPairs,
                      !a.changesModel ? std::string()
                      : a.errorRows
                          ? llvm::formatv(", changes the model (relative "
                                          "error vs dense on random inputs: "
                                          "max {0:F3}, mean {1:F3})",
                                          a.maxRelError, a.meanRelError)
                                .str()
                          : std::string(", changes the model"),
                      convText)
                .str() +
            (a.keptMax >= 0 ? llvm::formatv(", keeps {0} .. {1} tokens at "
                                            "run time",
                                            a.keptMin, a.keptMax)
                                  .str()
                            : std::string()));
  }
  for (const TernaryLayer &t : model.ternaryLayers)
    row("ternary layer",
        llvm::formatv("{0}x{1}x{2} {3}, kernel {4}, {5} packing, {6} at {7}",
                      t.m, t.k, t.n, t.activations, t.kernel, t.packing,
                      bytesText(t.packedBytes), t.location)
            .str());
  if (context.codeBytes)
    row("code", bytesText(context.codeBytes));
  if (model.parallel && !model.parallel->loops.empty()) {
    const ParallelInfo &p = *model.parallel;
    row("parallel loops",
        std::to_string(p.loops.size()) + ", " +
            (p.entry ? std::to_string(p.maxWorkers) + " workers, "
                     : std::string("serial (no threads), ")) +
            bytesText(p.scratchBytesPerWorker()) + " scratch per worker");
  }
  auto tensorRows = [&](StringRef kind,
                        const std::vector<TensorInterface> &tensors) {
    for (auto [i, t] : llvm::enumerate(tensors))
      row((kind + " " + Twine(i)).str(),
          t.elementType + " [" + shapeText(t.shape, "x") + "], " +
              bytesText(t.bytes) + ", \"" + t.name + "\"");
  };
  for (const RuntimeCheck &check : model.checks)
    row("check " + std::to_string(check.status),
        "\"" + check.message + "\"" +
            (check.loc.empty() ? "" : " at " + check.loc));
  tensorRows("input", model.inputs);
  tensorRows("output", model.outputs);
  if (!context.undefinedSymbols.empty())
    row("needs from the link", llvm::join(context.undefinedSymbols, ", "));
  if (m.buffers.empty())
    return;
  os << llvm::formatv("  {0,4} {1,10} {2,10} {3,11}  {4}\n", "buf", "bytes",
                      "offset", "ops", "produced by");
  for (auto [i, b] : llvm::enumerate(m.buffers)) {
    std::string producer = b.op + (b.loc.empty() ? "" : " at " + b.loc);
    if (b.sharesWith)
      producer +=
          " (shares " + std::to_string(*b.sharesWith) + ", " + b.sharing + ")";
    os << llvm::formatv("  {0,4} {1,10} {2,10} {3,5}-{4,-5}  {5}\n", i, b.size,
                        b.offset, b.first, b.last, producer);
  }
}

std::optional<PatchInfo> sieve::collectPatchPlan(ModuleOp module,
                                                 uint64_t &extraMacs) {
  extraMacs = 0;
  std::optional<PatchInfo> result;
  module.walk([&](func::FuncOp func) {
    auto plan = func->getAttrOfType<DictionaryAttr>(attrs::kPatchPlan);
    if (!plan)
      return;
    auto stages = plan.getAs<ArrayAttr>("stages");
    if (!stages || stages.empty())
      return;
    auto integer = [&](StringRef name) -> uint64_t {
      auto attr = plan.getAs<IntegerAttr>(name);
      return attr ? attr.getInt() : 0;
    };
    PatchInfo info;
    if (auto rule = plan.getAs<StringAttr>("rule"))
      info.rule = rule.str();
    info.plainPeak = integer("plain_peak");
    info.peak = integer("peak");
    info.plainMacs = integer("plain_macs");
    uint64_t macs = integer("macs");
    if (auto overhead = plan.getAs<FloatAttr>("mac_overhead"))
      info.macOverhead = overhead.getValueAsDouble();
    extraMacs += macs > info.plainMacs ? macs - info.plainMacs : 0;
    for (auto stage : stages.getAsRange<DictionaryAttr>()) {
      PatchStageInfo &s = info.stages.emplace_back();
      if (auto first = stage.getAs<StringAttr>("first"))
        s.first = first.str();
      if (auto last = stage.getAs<StringAttr>("last"))
        s.last = last.str();
      if (auto strategy = stage.getAs<StringAttr>("strategy"))
        s.strategy = strategy.str();
      if (auto shapes = stage.getAs<BoolAttr>("static_borders"))
        s.staticBorders = shapes.getValue();
      if (auto grid = stage.getAs<DenseI64ArrayAttr>("grid");
          grid && grid.size() == 2)
        s.grid[0] = grid[0], s.grid[1] = grid[1];
      if (auto tile = stage.getAs<DenseI64ArrayAttr>("tile");
          tile && tile.size() == 2)
        s.tile[0] = tile[0], s.tile[1] = tile[1];
      if (auto halo = stage.getAs<DenseI64ArrayAttr>("halo"))
        s.halo.assign(halo.asArrayRef().begin(), halo.asArrayRef().end());
    }
    if (auto pareto = plan.getAs<ArrayAttr>("pareto"))
      for (auto point : pareto.getAsRange<DenseI64ArrayAttr>())
        if (point.size() == 2)
          info.pareto.push_back({uint64_t(point[0]), uint64_t(point[1])});
    result = std::move(info);
  });
  return result;
}

std::vector<AttentionInfo> sieve::collectAttention(ModuleOp module,
                                                   bool fuseQueryConv) {
  std::vector<AttentionInfo> result;
  auto describe = [&](Operation *op, RankedTensorType query,
                      RankedTensorType key, RankedTensorType value,
                      attn::Layout layout) {
    AttentionInfo &info = result.emplace_back();
    info.location = describeLocation(op->getLoc());
    attn::AttentionDims dims = attn::getAttentionDims(query.getRank(), layout);
    for (int64_t d = 0; d < query.getRank(); ++d)
      if (d != dims.length && d != dims.head && d != dims.depth)
        info.batch *= query.getDimSize(d);
    if (dims.head >= 0) {
      info.heads = query.getDimSize(dims.head);
      info.kvHeads = key.getDimSize(dims.head);
    }
    info.queryLength = query.getDimSize(dims.length);
    info.keyLength = key.getDimSize(dims.length);
    info.depth = query.getDimSize(dims.depth);
    info.valueDepth = value.getDimSize(dims.depth);
    llvm::raw_string_ostream(info.elementType) << query.getElementType();
    info.causalPairs =
        AttentionPattern::numCausalPairs(info.queryLength, info.keyLength);
    // Convolutional self-attention: the flash lowering computes Q from the
    // convolution when matchQueryConv accepts the op (dense ops only).
    info.queryConvFused = fuseQueryConv && isa<attn::AttentionOp>(op) &&
                          matchQueryConv(op).has_value();
    for (auto [name, kernel, type, fused] :
         {std::tuple{"attn.query_conv", &info.queryConv, query,
                     info.queryConvFused},
          std::tuple{"attn.key_conv", &info.keyConv, key, false}})
      if (auto attr = op->getAttrOfType<IntegerAttr>(name)) {
        *kernel = attr.getInt();
        int64_t bytes =
            type.getNumElements() * type.getElementTypeBitWidth() / 8;
        (fused ? info.fusedBytes : info.convTensorBytes) += bytes;
      }
    return &info;
  };
  module.walk([&](Operation *op) {
    if (auto dense = dyn_cast<attn::AttentionOp>(op)) {
      AttentionInfo *info =
          describe(op, dense.getQuery().getType(), dense.getKey().getType(),
                   dense.getValue().getType(), dense.getLayout());
      info->kind = "dense";
      info->pattern = dense.getMask()     ? "mask"
                      : dense.getCausal() ? "causal"
                                          : "full";
      info->pairs = dense.getCausal() ? info->causalPairs
                                      : info->queryLength * info->keyLength;
    } else if (auto sparse = dyn_cast<attn::SparseAttentionOp>(op)) {
      AttentionInfo *info =
          describe(op, sparse.getQuery().getType(), sparse.getKey().getType(),
                   sparse.getValue().getType(), sparse.getLayout());
      AttentionPattern pattern = sparse.getAttentionPattern();
      info->kind = "sparse";
      info->pattern = pattern.describe();
      info->pairs = pattern.numPairs(info->queryLength, info->keyLength);
      info->changesModel = op->hasAttr("attn.from_dense");
      if (auto error = op->getAttrOfType<DictionaryAttr>("attn.dense_error")) {
        auto real = [&](StringRef name) {
          auto attr = error.getAs<FloatAttr>(name);
          return attr ? attr.getValueAsDouble() : 0.0;
        };
        auto integer = [&](StringRef name) -> int64_t {
          auto attr = error.getAs<IntegerAttr>(name);
          return attr ? attr.getInt() : 0;
        };
        info->maxRelError = real("max_rel");
        info->meanRelError = real("mean_rel");
        info->rmsError = real("rms");
        info->errorRows = integer("rows");
        info->errorSeed = integer("seed");
      }
    } else if (auto kept = dyn_cast<attn::KeptAttentionOp>(op)) {
      // Written by sieve-attn-token-sparse: the pairs are the bound (every
      // token kept); the kept count is decided at run time.
      AttentionInfo *info =
          describe(op, kept.getQuery().getType(), kept.getKey().getType(),
                   kept.getValue().getType(), attn::Layout::bhld);
      info->kind = "token-sparse";
      info->pattern = kept.getCausal() ? "causal" : "full";
      if (auto options = op->getAttrOfType<StringAttr>("attn.token_sparse"))
        info->pattern += " " + options.str();
      info->pairs = kept.getCausal() ? info->causalPairs
                                     : info->queryLength * info->keyLength;
      info->changesModel = true;
      info->keptMax = info->keyLength;
      info->keptMin = 0;
      if (auto min = op->getAttrOfType<IntegerAttr>("attn.kept_min"))
        info->keptMin = min.getInt();
    } else if (auto cached = dyn_cast<attn::CacheAttentionOp>(op)) {
      // Decode over a KV cache: the pairs are the bound (a full cache).
      AttentionInfo *info = describe(
          op, cached.getQuery().getType(), cached.getKeyCache().getType(),
          cached.getValueCache().getType(), attn::Layout::bhld);
      info->kind = "kv-cache";
      info->pattern = "full";
      info->pairs = info->queryLength * info->keyLength;
      info->cacheCapacity = info->keyLength;
      info->cacheTokenBytes =
          info->kvHeads * (info->depth + info->valueDepth) * 4;
    }
  });
  return result;
}
