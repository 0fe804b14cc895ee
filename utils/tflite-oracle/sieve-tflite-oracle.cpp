//===- sieve-tflite-oracle.cpp - Runs a .tflite model with Arm NN ---------===//
//
// Part of Sieve's tests. Runs a TFLite model on given input bytes with Arm
// NN's TfLite parser and its reference (CpuRef) backend, and writes the raw
// bytes of every output, so that the tests can compare what Sieve compiles
// from a .tflite with an implementation that shares no code with Sieve.
//
//   sieve-tflite-oracle model.tflite --input=in0.bin --output-dir=DIR
//   sieve-tflite-oracle model.tflite --describe
//
// Test-only: nothing in the compiler uses it. Standard C++ and Arm NN only.
//
//===----------------------------------------------------------------------===//

#include "armnn/ArmNN.hpp"
#include "armnn/Exceptions.hpp"
#include "armnn/Utils.hpp"
#include "armnnTfLiteParser/ITfLiteParser.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <vector>

#ifndef SIEVE_ARMNN_BACKEND_DIR
#define SIEVE_ARMNN_BACKEND_DIR ""
#endif

namespace {

/// Thrown for every error the oracle reports; main prints it and exits 1.
struct OracleError {
  std::string message;
};

[[noreturn]] void fail(const std::string &message) {
  throw OracleError{message};
}

/// The element type as Sieve's reports and scripts spell it. Arm NN keeps
/// TFLite's int8 as QAsymmS8 (or QSymmS8 for a zero point of 0 in some
/// tensors); both are plain int8 bytes here.
const char *elementType(armnn::DataType type) {
  switch (type) {
  case armnn::DataType::Float16:
    return "f16";
  case armnn::DataType::Float32:
    return "f32";
  case armnn::DataType::QAsymmU8:
    return "u8";
  case armnn::DataType::Signed32:
    return "i32";
  case armnn::DataType::Boolean:
    return "i1";
  case armnn::DataType::QSymmS16:
    return "i16";
  case armnn::DataType::QSymmS8:
  case armnn::DataType::QAsymmS8:
    return "i8";
  case armnn::DataType::BFloat16:
    return "bf16";
  default:
    return "unknown";
  }
}

/// `i8 [1x12] scale=0.00390625 zero_point=-128 name=Identity`: the name last,
/// so that a name with spaces still parses. Scales print with 9 significant
/// digits, which give back the exact float.
std::string describe(const armnn::TensorInfo &info, const std::string &name) {
  std::ostringstream os;
  os << elementType(info.GetDataType()) << " [";
  const armnn::TensorShape &shape = info.GetShape();
  for (unsigned i = 0; i < shape.GetNumDimensions(); ++i)
    os << (i ? "x" : "") << shape[i];
  char scale[32];
  std::snprintf(scale, sizeof(scale), "%.9g", info.GetQuantizationScale());
  os << "] scale=" << scale << " zero_point=" << info.GetQuantizationOffset()
     << " name=" << name;
  return os.str();
}

std::vector<char> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail("cannot read '" + path + "': " + std::strerror(errno));
  return std::vector<char>(std::istreambuf_iterator<char>(in),
                           std::istreambuf_iterator<char>());
}

void writeFile(const std::string &path, const std::vector<char> &data) {
  std::ofstream out(path, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out)
    fail("cannot write '" + path + "': " + std::strerror(errno));
}

bool isDirectory(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> splitCommas(const std::string &text) {
  std::vector<std::string> items;
  std::string item;
  std::istringstream is(text);
  while (std::getline(is, item, ','))
    items.push_back(item);
  return items;
}

struct Options {
  std::string model;
  std::vector<std::string> inputs;
  std::string outputDir;
  std::string backendDir;
  bool describeOnly = false;
  bool verbose = false;
};

const char *usage =
    "usage: sieve-tflite-oracle MODEL.tflite --input=IN0.bin[,IN1.bin...] "
    "--output-dir=DIR\n"
    "       sieve-tflite-oracle MODEL.tflite --describe\n"
    "\n"
    "Runs MODEL with Arm NN's TfLite parser on its reference (CpuRef) "
    "backend.\n"
    "Each input file holds the raw little-endian bytes of one input tensor,\n"
    "in the model's element type; each output is written to DIR/out<i>.bin.\n"
    "Prints one line per output (per input and output with --describe):\n"
    "  output <i> <type> [<shape>] scale=<s> zero_point=<z> name=<name>\n"
    "\n"
    "  --backend-dir=DIR  the folder holding Arm_CpuRef_backend.so (default:\n"
    "                     $SIEVE_ARMNN_BACKEND_DIR, else the one found at "
    "build time)\n"
    "  --describe         print the inputs and outputs, do not run\n"
    "  -v                 let Arm NN log warnings to stdout\n";

Options parseOptions(int argc, char **argv) {
  Options opts;
  if (const char *env = std::getenv("SIEVE_ARMNN_BACKEND_DIR"))
    opts.backendDir = env;
  else
    opts.backendDir = SIEVE_ARMNN_BACKEND_DIR;
  auto value = [](const std::string &arg, const std::string &flag,
                  std::string &out) {
    if (arg.compare(0, flag.size(), flag) != 0)
      return false;
    out = arg.substr(flag.size());
    return true;
  };
  std::string text;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << usage;
      std::exit(0);
    }
    if (value(arg, "--input=", text))
      opts.inputs = splitCommas(text);
    else if (value(arg, "--output-dir=", text))
      opts.outputDir = text;
    else if (value(arg, "--backend-dir=", text))
      opts.backendDir = text;
    else if (arg == "--describe")
      opts.describeOnly = true;
    else if (arg == "-v")
      opts.verbose = true;
    else if (!arg.empty() && arg[0] == '-')
      fail("unknown option '" + arg + "'\n" + usage);
    else if (opts.model.empty())
      opts.model = arg;
    else
      fail("more than one model given ('" + opts.model + "', '" + arg + "')");
  }
  if (opts.model.empty())
    fail(std::string("no model given\n") + usage);
  if (!opts.describeOnly && opts.outputDir.empty())
    fail("no --output-dir given");
  return opts;
}

/// Everything the run needs from the parser, read while it is alive.
struct Binding {
  std::string name;
  armnn::BindingPointInfo info;
};

int run(const Options &opts) {
  // Arm NN logs to stdout, where the output lines go: silent unless asked.
  armnn::ConfigureLogging(opts.verbose, false, armnn::LogSeverity::Warning);

  // Parse first: a model the parser refuses is the commonest error, and it
  // needs no backend.
  armnnTfLiteParser::ITfLiteParserPtr parser =
      armnnTfLiteParser::ITfLiteParser::Create();
  armnn::INetworkPtr network(nullptr, nullptr);
  try {
    network = parser->CreateNetworkFromBinaryFile(opts.model.c_str());
  } catch (const armnn::Exception &e) {
    fail("Arm NN's TfLite parser refuses '" + opts.model + "': " + e.what());
  }
  if (parser->GetSubgraphCount() != 1)
    fail("'" + opts.model + "' has " +
         std::to_string(parser->GetSubgraphCount()) +
         " subgraphs; the oracle runs models with one");

  std::vector<Binding> inputs, outputs;
  for (const std::string &name : parser->GetSubgraphInputTensorNames(0))
    inputs.push_back({name, parser->GetNetworkInputBindingInfo(0, name)});
  for (const std::string &name : parser->GetSubgraphOutputTensorNames(0))
    outputs.push_back({name, parser->GetNetworkOutputBindingInfo(0, name)});

  if (opts.describeOnly) {
    for (size_t i = 0; i < inputs.size(); ++i)
      std::cout << "input " << i << " "
                << describe(inputs[i].info.second, inputs[i].name) << "\n";
    for (size_t i = 0; i < outputs.size(); ++i)
      std::cout << "output " << i << " "
                << describe(outputs[i].info.second, outputs[i].name) << "\n";
    return 0;
  }

  // Read and check the inputs before loading the backend, so that a wrong
  // file is reported as such.
  if (opts.inputs.size() != inputs.size())
    fail("the model has " + std::to_string(inputs.size()) +
         " input(s), --input gives " + std::to_string(opts.inputs.size()));
  std::vector<std::vector<char>> inputData;
  for (size_t i = 0; i < inputs.size(); ++i) {
    inputData.push_back(readFile(opts.inputs[i]));
    const armnn::TensorInfo &info = inputs[i].info.second;
    if (inputData.back().size() != info.GetNumBytes())
      fail("input " + std::to_string(i) + " (" +
           describe(info, inputs[i].name) + ") needs " +
           std::to_string(info.GetNumBytes()) + " bytes, '" + opts.inputs[i] +
           "' has " + std::to_string(inputData.back().size()));
  }
  if (!isDirectory(opts.outputDir))
    fail("--output-dir '" + opts.outputDir + "' is not a directory");

  // CpuRef is a plugin in Debian's packaging (libarmnn-cpuref-backend22): the
  // runtime loads it only from the folder m_DynamicBackendsPath names.
  if (opts.backendDir.empty())
    fail("no folder for Arm NN's CpuRef backend: pass --backend-dir= or set "
         "SIEVE_ARMNN_BACKEND_DIR (Debian's libarmnn-cpuref-backend22 "
         "installs /usr/lib/<triple>/armnn22)");
  if (!isDirectory(opts.backendDir))
    fail("Arm NN backend folder '" + opts.backendDir + "' does not exist");
  armnn::IRuntime::CreationOptions runtimeOptions;
  runtimeOptions.m_DynamicBackendsPath = opts.backendDir;
  armnn::IRuntimePtr runtime = armnn::IRuntime::Create(runtimeOptions);
  const armnn::BackendId cpuRef("CpuRef");
  if (!runtime->GetDeviceSpec().GetSupportedBackends().count(cpuRef))
    fail("Arm NN did not load the CpuRef backend from '" + opts.backendDir +
         "' (is Arm_CpuRef_backend.so there?)");

  std::vector<std::string> messages;
  armnn::IOptimizedNetworkPtr optimized(nullptr, nullptr);
  try {
    optimized = armnn::Optimize(
        *network, {cpuRef}, runtime->GetDeviceSpec(), armnn::OptimizerOptions(),
        armnn::Optional<std::vector<std::string> &>(messages));
  } catch (const armnn::Exception &e) {
    fail(std::string("Arm NN cannot optimize '") + opts.model +
         "' for CpuRef: " + e.what());
  }
  if (!optimized) {
    std::string all;
    for (const std::string &m : messages)
      all += "\n  " + m;
    fail("Arm NN cannot optimize '" + opts.model + "' for CpuRef" + all);
  }
  armnn::NetworkId id;
  std::string loadError;
  if (runtime->LoadNetwork(id, std::move(optimized), loadError) !=
      armnn::Status::Success)
    fail("Arm NN cannot load '" + opts.model + "': " + loadError);

  armnn::InputTensors inputTensors;
  for (size_t i = 0; i < inputs.size(); ++i)
    inputTensors.emplace_back(
        inputs[i].info.first,
        armnn::ConstTensor(inputs[i].info.second, inputData[i].data()));
  // Reserved up front: the tensors point into these buffers.
  std::vector<std::vector<char>> outputData;
  outputData.reserve(outputs.size());
  armnn::OutputTensors outputTensors;
  for (const Binding &output : outputs) {
    outputData.emplace_back(output.info.second.GetNumBytes());
    outputTensors.emplace_back(
        output.info.first,
        armnn::Tensor(output.info.second, outputData.back().data()));
  }
  if (runtime->EnqueueWorkload(id, inputTensors, outputTensors) !=
      armnn::Status::Success)
    fail("Arm NN failed to run '" + opts.model + "'");

  for (size_t i = 0; i < outputs.size(); ++i) {
    writeFile(opts.outputDir + "/out" + std::to_string(i) + ".bin",
              outputData[i]);
    std::cout << "output " << i << " "
              << describe(outputs[i].info.second, outputs[i].name) << "\n";
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(parseOptions(argc, argv));
  } catch (const OracleError &e) {
    std::cerr << "sieve-tflite-oracle: error: " << e.message << "\n";
  } catch (const armnn::Exception &e) {
    std::cerr << "sieve-tflite-oracle: error: Arm NN: " << e.what() << "\n";
  } catch (const std::exception &e) {
    std::cerr << "sieve-tflite-oracle: error: " << e.what() << "\n";
  }
  return 1;
}
