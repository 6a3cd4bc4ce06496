internal import CFluxerShim
