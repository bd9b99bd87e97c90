// SVGPlot: line charts as standalone SVG — axes, ticks, a legend, a log scale for losses — so
// that a run's curves open in any browser without a plotting package.

import Foundation

/// One curve: a name and its points (non-finite values, and non-positive ones on a log axis,
/// are left out).
struct PlotSeries {
    var name: String
    var points: [(x: Double, y: Double)]
}

/// A panel: a title, axis labels, its curves and whether y is logarithmic.
struct PlotPanel {
    var title: String
    var xLabel: String
    var yLabel: String
    var logarithmic: Bool
    var series: [PlotSeries]
}

/// Writes panels side by side into one SVG document, sharing one legend.
enum SVGPlot {
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                          "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31"]

    /// The SVG text of `panels` (each 460 × 320 points) with a legend of the series names below.
    static func document(title: String, panels: [PlotPanel]) -> String {
        let panelWidth = 460.0, panelHeight = 320.0
        let names = panels.flatMap { $0.series.map(\.name) }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let legendRows = (names.count + 1) / 2
        let width = panelWidth * Double(max(1, panels.count)), height = 40 + panelHeight + 20 + 18 * Double(legendRows)
        var svg = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(format(width))" height="\(format(height))" viewBox="0 0 \(format(width)) \(format(height))" font-family="Helvetica, Arial, sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(format(width / 2))" y="22" text-anchor="middle" font-size="14">\(escape(title))</text>

        """
        for (index, panel) in panels.enumerated() {
            svg += panelSVG(panel, originX: panelWidth * Double(index), originY: 36, width: panelWidth, height: panelHeight, names: names)
        }
        for (index, name) in names.enumerated() {
            let x = 60 + Double(index % 2) * (width / 2), y = 40 + panelHeight + 20 + 18 * Double(index / 2)
            svg += """
            <line x1="\(format(x))" y1="\(format(y - 4))" x2="\(format(x + 24))" y2="\(format(y - 4))" stroke="\(color(index))" stroke-width="2"/>
            <text x="\(format(x + 30))" y="\(format(y))">\(escape(name))</text>

            """
        }
        return svg + "</svg>\n"
    }

    static func color(_ index: Int) -> String { palette[index % palette.count] }

    private static func panelSVG(_ panel: PlotPanel, originX: Double, originY: Double, width: Double, height: Double,
                                 names: [String]) -> String {
        let left = originX + 64, right = originX + width - 16, top = originY + 24, bottom = originY + height - 40
        let transform: (Double) -> Double = panel.logarithmic ? { log10($0) } : { $0 }
        let usable = panel.series.map { series in
            series.points.filter { $0.x.isFinite && $0.y.isFinite && (!panel.logarithmic || $0.y > 0) }
        }
        let xs = usable.flatMap { $0.map(\.x) }, ys = usable.flatMap { $0.map { transform($0.y) } }
        var (xLow, xHigh) = (xs.min() ?? 0, xs.max() ?? 1), (yLow, yHigh) = (ys.min() ?? 0, ys.max() ?? 1)
        if xHigh <= xLow { xHigh = xLow + 1 }
        if yHigh <= yLow { yLow -= 0.5; yHigh += 0.5 }
        let yTicks: [Double]
        if panel.logarithmic {
            (yLow, yHigh) = (floor(yLow), ceil(yHigh))
            if yHigh <= yLow { yHigh = yLow + 1 }
            yTicks = stride(from: yLow, through: yHigh, by: max(1, ((yHigh - yLow) / 6).rounded(.up))).map { $0 }
        } else {
            let ticks = niceTicks(yLow, yHigh)
            (yLow, yHigh) = (ticks.first!, ticks.last!)
            yTicks = ticks
        }
        let xTicks = niceTicks(xLow, xHigh)
        (xLow, xHigh) = (min(xLow, xTicks.first!), max(xHigh, xTicks.last!))
        func px(_ x: Double) -> Double { left + (x - xLow) / (xHigh - xLow) * (right - left) }
        func py(_ y: Double) -> Double { bottom - (y - yLow) / (yHigh - yLow) * (bottom - top) }

        var svg = "<g class=\"panel\">\n"
        svg += "<text x=\"\(format((left + right) / 2))\" y=\"\(format(top - 8))\" text-anchor=\"middle\" font-size=\"12\">\(escape(panel.title))</text>\n"
        svg += "<rect x=\"\(format(left))\" y=\"\(format(top))\" width=\"\(format(right - left))\" height=\"\(format(bottom - top))\" fill=\"none\" stroke=\"#444\"/>\n"
        for tick in xTicks where tick >= xLow && tick <= xHigh {
            let x = px(tick)
            svg += "<line class=\"tick\" x1=\"\(format(x))\" y1=\"\(format(bottom))\" x2=\"\(format(x))\" y2=\"\(format(bottom + 5))\" stroke=\"#444\"/>"
            svg += "<text x=\"\(format(x))\" y=\"\(format(bottom + 17))\" text-anchor=\"middle\">\(label(tick))</text>\n"
        }
        for tick in yTicks {
            let y = py(tick)
            svg += "<line x1=\"\(format(left))\" y1=\"\(format(y))\" x2=\"\(format(right))\" y2=\"\(format(y))\" stroke=\"#e4e4e4\"/>"
            svg += "<line class=\"tick\" x1=\"\(format(left - 5))\" y1=\"\(format(y))\" x2=\"\(format(left))\" y2=\"\(format(y))\" stroke=\"#444\"/>"
            let text = panel.logarithmic ? label(pow(10, tick)) : label(tick)
            svg += "<text x=\"\(format(left - 8))\" y=\"\(format(y + 4))\" text-anchor=\"end\">\(text)</text>\n"
        }
        svg += "<text x=\"\(format((left + right) / 2))\" y=\"\(format(bottom + 33))\" text-anchor=\"middle\">\(escape(panel.xLabel))</text>\n"
        svg += "<text transform=\"translate(\(format(originX + 16)) \(format((top + bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(panel.yLabel + (panel.logarithmic ? " (log scale)" : "")))</text>\n"
        for (series, points) in zip(panel.series, usable) where !points.isEmpty {
            let colour = color(names.firstIndex(of: series.name) ?? 0)
            let d = points.enumerated().map { i, p in (i == 0 ? "M" : "L") + format(px(p.x)) + "," + format(py(transform(p.y))) }
                .joined(separator: " ")
            svg += "<path class=\"curve\" d=\"\(d)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\"><title>\(escape(series.name))</title></path>\n"
        }
        return svg + "</g>\n"
    }

    /// 4–8 ticks at 1, 2 or 5 times a power of ten covering [low, high].
    static func niceTicks(_ low: Double, _ high: Double) -> [Double] {
        let span = max(high - low, 1e-12)
        let raw = span / 5, magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { span / $0 <= 7 } ?? 10 * magnitude
        let first = floor(low / step) * step, last = ceil(high / step) * step
        return stride(from: first, through: last + step / 2, by: step).map { abs($0) < step * 1e-9 ? 0 : $0 }
    }

    static func label(_ value: Double) -> String {
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e5 || magnitude < 1e-3 { return String(format: "%.0e", value) }
        if value == value.rounded() { return String(format: "%.0f", value) }
        return String(format: "%g", value)
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// The standard two panels of training runs: training and test loss (log scale) and test
    /// accuracy (when the runs classify), against the step.
    static func trainingDocument(title: String, runs: [RunResult]) -> String {
        var panels = [PlotPanel(title: "Held-out loss", xLabel: "step", yLabel: "loss", logarithmic: true,
                                series: runs.map { run in PlotSeries(name: run.name, points: run.curve.map { (Double($0.step), Double($0.testLoss)) }) })]
        panels.append(PlotPanel(title: "Training loss (mean since the last point)", xLabel: "step", yLabel: "loss", logarithmic: true,
                                series: runs.map { run in PlotSeries(name: run.name, points: run.curve.map { (Double($0.step), Double($0.trainLoss)) }) }))
        if runs.contains(where: { $0.testAccuracy != nil }) {
            panels.append(PlotPanel(title: "Held-out accuracy", xLabel: "step", yLabel: "accuracy (%)", logarithmic: false,
                                    series: runs.map { run in
                                        PlotSeries(name: run.name, points: run.curve.compactMap { p in p.testAccuracy.map { (Double(p.step), 100 * $0) } })
                                    }))
        }
        return document(title: title, panels: panels)
    }
}
