import FluxerApp

// Everything lives in FluxerApp (CLI/FluxerAuthCommand.swift): this target is the executable's entry point only.
FluxerAuthCommand.main()
