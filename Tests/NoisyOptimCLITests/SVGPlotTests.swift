import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import NoisyOptimCLI

@Suite struct SVGPlotTests {
    @Test func niceTicksCoverTheRangeInRoundSteps() {
        #expect(SVGPlot.niceTicks(0, 898) == [0, 200, 400, 600, 800, 1000])
        #expect(SVGPlot.niceTicks(0.93, 0.97) == [0.93, 0.94, 0.95, 0.96, 0.97].map { $0 } || SVGPlot.niceTicks(0.93, 0.97).count >= 4)
        let ticks = SVGPlot.niceTicks(-3, 7)
        #expect(ticks.first! <= -3 && ticks.last! >= 7 && (4...8).contains(ticks.count))
    }

    @Test func documentIsXMLWithOnePathPerDrawableSeries() throws {
        let panel = PlotPanel(title: "loss <&>", xLabel: "step", yLabel: "loss", logarithmic: true, series: [
            PlotSeries(name: "a", points: [(0, 1), (1, 0.1), (2, 0.01)]),
            PlotSeries(name: "b \"quoted\"", points: [(0, 2), (1, .nan), (2, 0.5)]),
            PlotSeries(name: "nothing on a log axis", points: [(0, 0), (1, -1)]),
        ])
        let svg = SVGPlot.document(title: "t", panels: [panel])
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse())
        #expect(svg.components(separatedBy: "class=\"curve\"").count - 1 == 2)
        // Log axis: decades from 10⁻² to 10¹ labelled.
        #expect(svg.contains(">0.01<") && svg.contains(">0.1<") && svg.contains(">1<"))
        #expect(svg.contains("(log scale)") && svg.contains("loss &lt;&amp;&gt;"))
    }
}
