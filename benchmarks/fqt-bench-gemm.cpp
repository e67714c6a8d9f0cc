//===- fqt-bench-gemm.cpp - fqt's GEMM kernels against oneDNN -------------===//
//
//   fqt-bench-gemm M N K [--reps=R] [--min-ms=T] [--a-transposed]
//                  [--b-transposed] [--num-threads=T]
//
// Compiles C = A * B (f32) and C = A * B (u8 x s8 -> s32, the contraction
// fqt-lower-qmatmul emits for unsigned activation codes times signed codes)
// through fqt's CPU pipeline, JIT-compiles them for the host, and times them
// in the same process as oneDNN's matmul primitive on the same shapes and
// data types, both on the same number of threads (--num-threads, default 1:
// fqt's through libomp, oneDNN's through its own OpenMP runtime). Prints one
// line:
//
//   fqt_i8_gops=... fqt_f32_gflops=... onednn_i8_gops=... onednn_f32_gflops=...
//   fqt_kernel=... onednn_isa=...
//
// fqt_kernel is the integer kernel family fqt's pipeline chose (amx where
// the CPU features have AMX-INT8 and Linux grants the tile state, else
// avx512vnni, avx2, generic, with "(amx-refused)" after it where AMX kernels
// were compiled but their run-time check said no); onednn_isa the instruction
// set class oneDNN dispatches to, which ONEDNN_MAX_CPU_ISA (e.g.
// AVX512_CORE_VNNI, AVX2) caps, so that both libraries can be compared on the
// same class.
//
// Each figure is the best of R timed batches (a batch repeats the product
// until it has run for at least T milliseconds), counting 2 M N K operations
// per product. The two results are checked against each other (exactly for
// i8, within float rounding for f32) before any timing.
//
//===----------------------------------------------------------------------===//

#include "FQT/FQTDialect.h"
#include "fqt/Codegen/Passes.h"
#include "fqt/Pipelines/Pipelines.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"

#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<int64_t> dimM(cl::Positional, cl::desc("<M>"), cl::Required);
static cl::opt<int64_t> dimN(cl::Positional, cl::desc("<N>"), cl::Required);
static cl::opt<int64_t> dimK(cl::Positional, cl::desc("<K>"), cl::Required);
static cl::opt<int> reps("reps", cl::desc("Timed batches; the best counts"),
                         cl::init(5));
static cl::opt<double> minMs("min-ms",
                             cl::desc("Least duration of one timed batch"),
                             cl::init(100.0));
static cl::opt<std::string>
    pipelineOptions("pipeline",
                    cl::desc("Options of fqt's CPU pipeline, e.g. "
                             "\"tile-m=6 tile-n=16 tile-k=512\""),
                    cl::init(""));
static cl::opt<bool> aTransposed(
    "a-transposed",
    cl::desc("A stored K x M (dY in a weight-gradient product dY^T X)"),
    cl::init(false));
static cl::opt<bool>
    bTransposed("b-transposed",
                cl::desc("B stored N x K (a weight in a forward product)"),
                cl::init(false));
static cl::opt<int>
    threads("num-threads",
            cl::desc("Threads of both libraries (OMP_NUM_THREADS; default 1)"),
            cl::init(1));

namespace {

/// The two products as fqt sees them after bufferization.
std::string moduleText(int64_t m, int64_t n, int64_t k, bool at, bool bt) {
  std::string bShape = bt ? std::to_string(n) + "x" + std::to_string(k)
                          : std::to_string(k) + "x" + std::to_string(n);
  std::string bMap = bt ? "(n, k)" : "(k, n)";
  std::string a = at ? std::to_string(k) + "x" + std::to_string(m)
                     : std::to_string(m) + "x" + std::to_string(k);
  std::string aMap = at ? "(k, m)" : "(m, k)";
  std::string c = std::to_string(m) + "x" + std::to_string(n);
  std::string maps = "indexing_maps = [affine_map<(m, n, k) -> " + aMap +
                     ">, affine_map<(m, n, k) -> " + bMap +
                     ">, affine_map<(m, n, k) -> (m, n)>]";
  return "func.func @f32(%a: memref<" + a + "xf32>, %b: memref<" + bShape +
         "xf32>, %c: memref<" + c +
         "xf32>) attributes {llvm.emit_c_interface} {\n"
         "  %z = arith.constant 0.0 : f32\n"
         "  linalg.fill ins(%z : f32) outs(%c : memref<" +
         c +
         "xf32>)\n"
         "  linalg.matmul " +
         maps + " ins(%a, %b : memref<" + a + "xf32>, memref<" + bShape +
         "xf32>) outs(%c : memref<" + c +
         "xf32>)\n"
         "  return\n}\n"
         "func.func @i8(%a: memref<" +
         a + "xi8>, %b: memref<" + bShape + "xi8>, %c: memref<" + c +
         "xi32>) attributes {llvm.emit_c_interface} {\n"
         "  %z = arith.constant 0 : i32\n"
         "  linalg.fill ins(%z : i32) outs(%c : memref<" +
         c +
         "xi32>)\n"
         "  linalg.generic {" +
         maps +
         ", iterator_types = [\"parallel\", \"parallel\", \"reduction\"]}\n"
         "      ins(%a, %b : memref<" +
         a + "xi8>, memref<" + bShape + "xi8>) outs(%c : memref<" + c +
         "xi32>) {\n"
         "  ^bb0(%x: i8, %y: i8, %acc: i32):\n"
         "    %xe = arith.extui %x : i8 to i32\n"
         "    %ye = arith.extsi %y : i8 to i32\n"
         "    %p = arith.muli %xe, %ye : i32\n"
         "    %s = arith.addi %acc, %p : i32\n"
         "    linalg.yield %s : i32\n"
         "  }\n"
         "  return\n}\n";
}

template <typename T>
StridedMemRefType<T, 2> descriptor(T *data, int64_t rows, int64_t cols) {
  StridedMemRefType<T, 2> d;
  d.basePtr = d.data = data;
  d.offset = 0;
  d.sizes[0] = rows;
  d.sizes[1] = cols;
  d.strides[0] = cols;
  d.strides[1] = 1;
  return d;
}

/// Best time in seconds of one call of `fn` over `reps` batches.
double bestSeconds(const std::function<void()> &fn) {
  using clock = std::chrono::steady_clock;
  fn(); // warm up (caches, page faults, oneDNN's JIT)
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    int64_t calls = 0;
    auto start = clock::now();
    double elapsed = 0;
    do {
      fn();
      ++calls;
      elapsed = std::chrono::duration<double>(clock::now() - start).count();
    } while (elapsed * 1e3 < minMs);
    best = std::min(best, elapsed / calls);
  }
  return best;
}

/// The instruction set class oneDNN dispatches to (after
/// ONEDNN_MAX_CPU_ISA).
const char *onednnIsaName() {
  switch (dnnl::get_effective_cpu_isa()) {
  case dnnl::cpu_isa::sse41:
    return "sse41";
  case dnnl::cpu_isa::avx:
    return "avx";
  case dnnl::cpu_isa::avx2:
    return "avx2";
  case dnnl::cpu_isa::avx2_vnni:
    return "avx2_vnni";
  case dnnl::cpu_isa::avx512_core:
    return "avx512_core";
  case dnnl::cpu_isa::avx512_core_vnni:
    return "avx512_core_vnni";
  case dnnl::cpu_isa::avx512_core_bf16:
    return "avx512_core_bf16";
  case dnnl::cpu_isa::avx512_core_amx:
    return "avx512_core_amx";
  default:
    return "other";
  }
}

int fail(const std::string &message) {
  std::fprintf(stderr, "fqt-bench-gemm: %s\n", message.c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  // The same thread count for both libraries. Debian's oneDNN runs on
  // OpenMP (libgomp), which reads OMP_NUM_THREADS when the library is
  // loaded, before main: set it and start again. fqt's kernels read it
  // through libomp at their first parallel region.
  std::string wanted = "1";
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--num-threads=", 14) == 0)
      wanted = argv[i] + 14;
  const char *current = getenv("OMP_NUM_THREADS");
  if (!current || wanted != current) {
    setenv("OMP_NUM_THREADS", wanted.c_str(), /*overwrite=*/1);
    execv("/proc/self/exe", argv);
    return fail("cannot re-execute with OMP_NUM_THREADS=" + wanted);
  }
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv,
                              "fqt's GEMM kernels against oneDNN\n");
  int64_t M = dimM, N = dimN, K = dimK;
  if (M <= 0 || N <= 0 || K <= 0)
    return fail("M, N and K must be positive");
  if (threads < 1)
    return fail("--num-threads must be positive");

  // --- fqt: parse, compile through the CPU pipeline, JIT for the host.
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<fqt::FQTDialect>();
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  MLIRContext context(registry);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(
      moduleText(M, N, K, aTransposed, bTransposed), &context);
  if (!module)
    return fail("cannot parse the benchmark module");
  PassManager pm(&context);
  auto options = fqt::FqtCpuPipelineOptions::createFromString(pipelineOptions);
  if (!options)
    return fail("bad --pipeline options");
  fqt::buildFqtCpuPipeline(pm, *options);
  const char *fqtKernel = "generic";
  if (FailureOr<fqt::KernelOptions> kernels =
          fqt::selectKernelOptions("auto", options->cpuFeatures);
      succeeded(kernels))
    fqtKernel = kernels->isa == fqt::IntKernelIsa::avx512vnni ? "avx512vnni"
                : kernels->isa == fqt::IntKernelIsa::avx2     ? "avx2"
                                                              : "generic";
  if (failed(pm.run(*module)))
    return fail("the CPU pipeline failed");

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return fail("no host target: " + llvm::toString(builder.takeError()));
  auto machine = builder->createTargetMachine();
  if (!machine)
    return fail("no host target machine: " +
                llvm::toString(machine.takeError()));
  ExecutionEngineOptions engineOptions;
  // The parallel loops call libomp.
  SmallVector<StringRef> sharedLibs = {FQT_OPENMP_LIBRARY};
  engineOptions.sharedLibPaths = sharedLibs;
  // A function_ref: the function it calls must outlive the engine's
  // creation.
  auto transformer = makeOptimizingTransformer(
      /*optLevel=*/3, /*sizeLevel=*/0, machine->get());
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(*module, engineOptions);
  if (!engine)
    return fail("JIT compilation failed: " +
                llvm::toString(engine.takeError()));
  // With AMX kernels, the family is what their run-time check answers.
  std::string kernelName = fqtKernel;
  if (auto gate = (*engine)->lookup(fqt::kAmxGateName)) {
    auto ready = reinterpret_cast<bool (*)()>(*gate);
    kernelName = ready() ? "amx" : kernelName + "(amx-refused)";
  } else {
    llvm::consumeError(gate.takeError());
  }

  // --- Data: the same operands for both libraries.
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> real(-1.0f, 1.0f);
  // B in [-64, 63]: without VNNI oneDNN multiplies with vpmaddubsw, whose
  // s16 pair sums saturate for |a b + a' b'| > 32767; this range keeps its
  // results exact so that they can be compared (fqt's are exact for any
  // codes).
  std::uniform_int_distribution<int> u8(0, 255), s8(-64, 63);
  int64_t aRows = aTransposed ? K : M, aCols = aTransposed ? M : K;
  int64_t bRows = bTransposed ? N : K, bCols = bTransposed ? K : N;
  std::vector<float> af(M * K), bf(K * N), cf(M * N), df(M * N);
  std::vector<uint8_t> ai(M * K);
  std::vector<int8_t> bi(K * N);
  std::vector<int32_t> ci(M * N), di(M * N);
  for (float &x : af)
    x = real(rng);
  for (float &x : bf)
    x = real(rng);
  for (uint8_t &x : ai)
    x = static_cast<uint8_t>(u8(rng));
  for (int8_t &x : bi)
    x = static_cast<int8_t>(s8(rng));

  auto fA = descriptor(af.data(), aRows, aCols);
  auto fB = descriptor(bf.data(), bRows, bCols);
  auto fC = descriptor(cf.data(), M, N);
  // fqt's i8 codes are signless i8 (the kernel reads A unsigned, B signed).
  auto iA = descriptor(reinterpret_cast<int8_t *>(ai.data()), aRows, aCols);
  auto iB = descriptor(bi.data(), bRows, bCols);
  auto iC = descriptor(ci.data(), M, N);
  auto *fAp = &fA, *fBp = &fB, *fCp = &fC;
  auto *iAp = &iA, *iBp = &iB;
  auto *iCp = &iC;
  auto runF32 = [&] {
    if (llvm::Error e = (*engine)->invoke("f32", fAp, fBp, fCp))
      llvm::report_fatal_error(std::move(e));
  };
  auto runI8 = [&] {
    if (llvm::Error e = (*engine)->invoke("i8", iAp, iBp, iCp))
      llvm::report_fatal_error(std::move(e));
  };

  // --- oneDNN: matmul primitives on the same buffers.
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(eng);
  dnnl::memory::dims aDims = {M, K}, bDims = {K, N}, cDims = {M, N};
  // A transposed operand is the same matrix with swapped strides.
  tag aTag = aTransposed ? tag::ba : tag::ab;
  tag bTag = bTransposed ? tag::ba : tag::ab;
  auto makeMatmul = [&](dt a, dt b, dt c) {
    dnnl::memory::desc aMd(aDims, a, aTag), bMd(bDims, b, bTag),
        cMd(cDims, c, tag::ab);
    dnnl::matmul::desc desc(aMd, bMd, cMd);
    dnnl::matmul::primitive_desc pd(desc, eng);
    return std::make_tuple(dnnl::matmul(pd), aMd, bMd, cMd);
  };
  auto [f32Matmul, faMd, fbMd, fcMd] = makeMatmul(dt::f32, dt::f32, dt::f32);
  auto [i8Matmul, iaMd, ibMd, icMd] = makeMatmul(dt::u8, dt::s8, dt::s32);
  // Lambdas capture variables, not structured bindings (C++17).
  dnnl::matmul mmF32 = f32Matmul, mmI8 = i8Matmul;
  dnnl::memory dfA(faMd, eng, af.data()), dfB(fbMd, eng, bf.data()),
      dfC(fcMd, eng, df.data());
  dnnl::memory diA(iaMd, eng, ai.data()), diB(ibMd, eng, bi.data()),
      diC(icMd, eng, di.data());
  auto dnnlF32 = [&] {
    mmF32.execute(
        stream,
        {{DNNL_ARG_SRC, dfA}, {DNNL_ARG_WEIGHTS, dfB}, {DNNL_ARG_DST, dfC}});
    stream.wait();
  };
  auto dnnlI8 = [&] {
    mmI8.execute(
        stream,
        {{DNNL_ARG_SRC, diA}, {DNNL_ARG_WEIGHTS, diB}, {DNNL_ARG_DST, diC}});
    stream.wait();
  };

  // --- Same answers before any timing.
  runF32();
  runI8();
  dnnlF32();
  dnnlI8();
  for (int64_t i = 0; i < M * N; ++i) {
    if (ci[i] != di[i])
      return fail("i8 results differ at " + std::to_string(i) + ": fqt " +
                  std::to_string(ci[i]) + ", oneDNN " + std::to_string(di[i]));
    if (std::fabs(cf[i] - df[i]) > 1e-4f * std::sqrt(double(K)) + 1e-5f)
      return fail("f32 results differ at " + std::to_string(i) + ": fqt " +
                  std::to_string(cf[i]) + ", oneDNN " + std::to_string(df[i]));
  }

  double ops = 2.0 * double(M) * double(N) * double(K);
  double fqtI8 = ops / bestSeconds(runI8) * 1e-9;
  double fqtF32 = ops / bestSeconds(runF32) * 1e-9;
  double oneI8 = ops / bestSeconds(dnnlI8) * 1e-9;
  double oneF32 = ops / bestSeconds(dnnlF32) * 1e-9;
  std::printf("fqt_i8_gops=%.2f fqt_f32_gflops=%.2f onednn_i8_gops=%.2f "
              "onednn_f32_gflops=%.2f fqt_kernel=%s onednn_isa=%s\n",
              fqtI8, fqtF32, oneI8, oneF32, kernelName.c_str(),
              onednnIsaName());
  return 0;
}
