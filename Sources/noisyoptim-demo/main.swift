// noisyoptim-demo: the command-line tool. Everything it does lives in NoisyOptimCLI (tested
// there); this file only finds the bundled data and passes the arguments on.

import Foundation
import NoisyOptim
import NoisyOptimCLI

let bundled = Bundle.module.url(forResource: "digits", withExtension: "csv", subdirectory: "Resources")
    ?? Bundle.module.url(forResource: "digits", withExtension: "csv")
guard let resources = bundled?.deletingLastPathComponent() else {
    FileHandle.standardError.write(Data("noisyoptim-demo: the bundled data (digits.csv) is missing from the resources\n".utf8))
    exit(1)
}
// Which kernels run, and the command for faster ones — on standard error, so that output piped
// from the tool stays what it asked for.
FileHandle.standardError.write(Data((kernelBuildAdvice(product: "noisyoptim-demo") + "\n").utf8))
exit(CommandLineTool(resources: resources).run(Array(CommandLine.arguments.dropFirst())))
