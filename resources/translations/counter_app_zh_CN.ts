<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>AlertsTab</name>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Alert</source>
        <translation>提醒</translation>
    </message>
    <message>
        <source>Counter</source>
        <translation>柜台</translation>
    </message>
    <message>
        <source>Staff</source>
        <translation>员工</translation>
    </message>
    <message>
        <source>What happened</source>
        <translation>情况</translation>
    </message>
    <message>
        <source>Acknowledged</source>
        <translation>确认情况</translation>
    </message>
    <message>
        <source>No alerts in the past hour</source>
        <translation>过去一小时没有提醒</translation>
    </message>
    <message>
        <source>Acknowledge</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>Acknowledge at the manager desk</source>
        <translation>请在值班经理台确认</translation>
    </message>
    <message>
        <source>The alert could not be acknowledged: %1</source>
        <translation>提醒未能确认：%1</translation>
    </message>
    <message>
        <source>The hall server&apos;s alerts cannot be read: the list shows the last known (%1)</source>
        <translation>无法读取大厅服务器的提醒：列表显示最后已知的内容（%1）</translation>
    </message>
    <message>
        <source>%1 not acknowledged</source>
        <translation>%1 条未确认</translation>
    </message>
    <message>
        <source>Overtime</source>
        <translation>超时</translation>
    </message>
    <message>
        <source>Poor rating</source>
        <translation>差评</translation>
    </message>
    <message>
        <source>Not reporting</source>
        <translation>无信号</translation>
    </message>
    <message>
        <source>Not yet</source>
        <translation>未确认</translation>
    </message>
    <message>
        <source>%1 at %2</source>
        <translation>%1（%2 号柜台）</translation>
    </message>
    <message>
        <source>Alert · counter %1</source>
        <translation>提醒 · %1 号柜台</translation>
    </message>
    <message>
        <source>%1 new alerts</source>
        <translation>%1 条新提醒</translation>
    </message>
</context>
<context>
    <name>BackSoonDialog</name>
    <message>
        <source>Back soon</source>
        <extracomment>The overtime reasons&apos; keys: function keys, which a rating keypad (digits, Enter, +, -) cannot send, so a customer&apos;s press can never pick the clerk&apos;s reason. Below this the type list and the buttons no longer fit (the window refuses to shrink). Back soon (暂离): the key, and the return times offered in minutes (keys 1–4 in the dialog)</extracomment>
        <translation>暂离</translation>
    </message>
    <message>
        <source>When will you be back?</source>
        <translation>多久回来？</translation>
    </message>
    <message>
        <source>In %1 min  (%2)</source>
        <translation>%1 分钟后  (%2)</translation>
    </message>
    <message>
        <source>or at</source>
        <translation>或在</translation>
    </message>
    <message>
        <source>Back at this time  (Enter)</source>
        <translation>此时回来  (Enter)</translation>
    </message>
    <message>
        <source>Cancel  (Esc)</source>
        <translation>取消  (Esc)</translation>
    </message>
    <message>
        <source>Pick a time later than now (within 12 hours)</source>
        <translation>请选择晚于现在的时间（12 小时内）</translation>
    </message>
</context>
<context>
    <name>CounterPage</name>
    <message>
        <source>Sign out</source>
        <translation>签退</translation>
    </message>
    <message>
        <source>OVERTIME</source>
        <translation>已超时</translation>
    </message>
    <message>
        <source>Transaction type (F3)</source>
        <translation>业务类型 (F3)</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 分钟</translation>
    </message>
    <message>
        <source>Close counter</source>
        <translation>关闭柜台</translation>
    </message>
    <message>
        <source>My ratings  (F12)</source>
        <translation>我的评价  (F12)</translation>
    </message>
    <message>
        <source>My figures  (Shift+F12)</source>
        <translation>我的数据  (Shift+F12)</translation>
    </message>
    <message>
        <source>untimed</source>
        <translation>不计时</translation>
    </message>
    <message>
        <source>Start  (F1)</source>
        <translation>开始  (F1)</translation>
    </message>
    <message>
        <source>Done  (F2)</source>
        <translation>完成  (F2)</translation>
    </message>
    <message>
        <source>Next type  (F3)</source>
        <translation>切换类型  (F3)</translation>
    </message>
    <message>
        <source>Void  (F4)</source>
        <translation>作废  (F4)</translation>
    </message>
    <message>
        <source>Back soon  (F10)</source>
        <translation>暂离  (F10)</translation>
    </message>
    <message>
        <source>Overtime: why did it take longer? (one press)</source>
        <translation>已超时：请选择超时原因（按一下即可）</translation>
    </message>
    <message>
        <source>Back soon · back at %1</source>
        <translation>暂离 · %1 回来</translation>
    </message>
    <message>
        <source>Business order no. (optional): type or scan, Enter (F11)</source>
        <translation>业务单号（选填）：输入或扫码后按回车（F11）</translation>
    </message>
    <message>
        <source>That looks like a mobile phone number: phone numbers are never stored. Scan or type the business order number.</source>
        <translation>这看起来是手机号码：系统从不保存电话号码。请扫描或输入业务单号。</translation>
    </message>
    <message>
        <source>An order number is 1–40 letters, digits, “-”, “_” or “/”.</source>
        <translation>业务单号为 1–40 个字母、数字、“-”、“_”或“/”。</translation>
    </message>
    <message>
        <source>Start a transaction first: the order number belongs to the transaction being served.</source>
        <translation>请先开始办理：业务单号属于正在办理的业务。</translation>
    </message>
    <message>
        <source>Order number %1 recorded</source>
        <translation>业务单号 %1 已记录</translation>
    </message>
    <message>
        <source>Counter %1 · %2</source>
        <translation>%1 号柜台 · %2</translation>
    </message>
    <message>
        <source>I&apos;m back  (F10)</source>
        <translation>我回来了  (F10)</translation>
    </message>
    <message>
        <source>Voided</source>
        <translation>已作废</translation>
    </message>
    <message>
        <source>Not rated</source>
        <translation>未评价</translation>
    </message>
    <message>
        <source>Serving…</source>
        <translation>正在办理…</translation>
    </message>
    <message>
        <source>Choose the overtime reason (F5–F9)</source>
        <translation>请选择超时原因（F5–F9）</translation>
    </message>
    <message>
        <source>Waiting for the customer (%1 s)</source>
        <translation>等待客户（%1 秒）</translation>
    </message>
    <message>
        <source>Ready for the next customer: press Start (F1)</source>
        <translation>可以接待下一位客户：请按“开始”(F1)</translation>
    </message>
    <message>
        <source>time left</source>
        <translation>剩余时间</translation>
    </message>
    <message>
        <source>elapsed (untimed)</source>
        <translation>已用时间（不计时）</translation>
    </message>
    <message>
        <source>last transaction</source>
        <translation>上一笔业务</translation>
    </message>
    <message>
        <source>ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>Total %1</source>
        <translation>总用时 %1</translation>
    </message>
    <message>
        <source>Served today: %1</source>
        <translation>今日已办理：%1 笔</translation>
    </message>
</context>
<context>
    <name>DeskWindow</name>
    <message>
        <source>Counter App · manager desk · %1</source>
        <extracomment>the desk&apos;s window at its default size: the manager view&apos;s tabs fit without scrolling the sign-in form&apos;s width: a form, centred, not two fields across a 1920-pixel screen</extracomment>
        <translation>柜台应用 · 值班经理台 · %1</translation>
    </message>
    <message>
        <source>The hall server cannot be reached: the view shows what arrived until now (%1)</source>
        <translation>无法连接大厅服务器：当前显示的是此前已收到的记录（%1）</translation>
    </message>
    <message>
        <source>Reading the hall from the hall server…</source>
        <translation>正在从大厅服务器读取全厅记录…</translation>
    </message>
    <message>
        <source>Every counter of the hall, up to date</source>
        <translation>全厅所有柜台，已是最新</translation>
    </message>
    <message>
        <source>Manager desk · %1 · every counter of the hall</source>
        <translation>值班经理台 · %1 · 全厅所有柜台</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Manager number</source>
        <translation>经理工号</translation>
    </message>
    <message>
        <source>PIN</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Not signed in: %1</source>
        <translation>未登录：%1</translation>
    </message>
    <message>
        <source>The desk&apos;s data folder %1 has no manager account. Add one with counter-app --config &quot;%2&quot; --data-dir &quot;%1&quot; staff add --role manager --number NUMBER --name NAME</source>
        <translation>经理台的数据文件夹 %1 中没有经理账号。请用以下命令添加：counter-app --config &quot;%2&quot; --data-dir &quot;%1&quot; staff add --role manager --number 工号 --name 姓名</translation>
    </message>
</context>
<context>
    <name>HallBoard</name>
    <message>
        <source>No counter has reported to the hall server yet</source>
        <extracomment>the narrowest a tile gets: five across at 800 px the height a tile&apos;s text takes at scale 1 (its text grows with the tile up to 2.5 times) the hall server answered after being unreachable (True) or stopped answering (False) a tile was repainted: its counter and its state line (the latency benchmark&apos;s mark)</extracomment>
        <translation>尚无柜台向大厅服务器上报</translation>
    </message>
    <message>
        <source>Hall server unreachable: the tiles show the last state known</source>
        <translation>无法连接大厅服务器：各柜台显示最后已知状态</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>未开放</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>开放</translation>
    </message>
    <message>
        <source>Serving · %1</source>
        <translation>办理中 · %1</translation>
    </message>
    <message>
        <source>Serving</source>
        <translation>办理中</translation>
    </message>
    <message>
        <source>Overtime +%1</source>
        <translation>超时 +%1</translation>
    </message>
    <message>
        <source>Waiting for the customer</source>
        <translation>等待客户评价</translation>
    </message>
    <message>
        <source>Back soon · back at %1</source>
        <translation>暂离 · %1 回来</translation>
    </message>
    <message>
        <source>Not reporting</source>
        <translation>无信号</translation>
    </message>
    <message>
        <source>Counter %1</source>
        <translation>%1 号柜台</translation>
    </message>
    <message>
        <source>Served %1</source>
        <translation>已办 %1</translation>
    </message>
    <message>
        <source>Service level %1</source>
        <translation>达标率 %1</translation>
    </message>
    <message>
        <source>Satisfaction %1</source>
        <translation>满意率 %1</translation>
    </message>
    <message>
        <source>Hall today: served %1 · service level %2 · satisfaction %3</source>
        <translation>全厅今日：已办 %1 · 达标率 %2 · 满意率 %3</translation>
    </message>
    <message numerus="yes">
        <source>%n follow-ups overdue</source>
        <translation>
            <numerusform>%n 条回访已逾期</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>HallPanel</name>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Counter</source>
        <translation>柜台</translation>
    </message>
    <message>
        <source>Last sync</source>
        <translation>最近同步</translation>
    </message>
    <message>
        <source>Served</source>
        <translation>办理笔数</translation>
    </message>
    <message>
        <source>Service level</source>
        <translation>按时办结率</translation>
    </message>
    <message>
        <source>Satisfaction</source>
        <translation>满意率</translation>
    </message>
    <message>
        <source>Participation</source>
        <translation>参评率</translation>
    </message>
    <message>
        <source>Overtime</source>
        <translation>超时笔数</translation>
    </message>
    <message>
        <source>Staff</source>
        <translation>员工</translation>
    </message>
    <message>
        <source>Mean rating</source>
        <translation>平均评分</translation>
    </message>
    <message>
        <source>Whole hall, as of each counter&apos;s last sync</source>
        <translation>全厅数据（截至各柜台最近一次同步）</translation>
    </message>
    <message>
        <source>No head office configured</source>
        <translation>未配置总部服务器</translation>
    </message>
    <message>
        <source>Asking head office…</source>
        <translation>正在查询总部…</translation>
    </message>
    <message>
        <source>Head office did not answer: %1</source>
        <translation>总部无响应：%1</translation>
    </message>
    <message>
        <source>Hall %1: %2 served, service level %3, satisfaction %4, participation %5</source>
        <translation>营业厅 %1：办理 %2 笔，按时办结率 %3，满意率 %4，参评率 %5</translation>
    </message>
    <message>
        <source>Head office has no transactions of this hall for %1</source>
        <translation>总部暂无本厅 %1 的业务记录</translation>
    </message>
</context>
<context>
    <name>KpiTab</name>
    <message>
        <source>Served</source>
        <extracomment>Longer periods show the trend per week: a year of daily points is unreadable (and slow).</extracomment>
        <translation>办理笔数</translation>
    </message>
    <message>
        <source>Service level (within target)</source>
        <translation>按时办结率（承诺时限内）</translation>
    </message>
    <message>
        <source>Median time</source>
        <translation>办理时长中位数</translation>
    </message>
    <message>
        <source>90th percentile</source>
        <translation>90% 分位时长</translation>
    </message>
    <message>
        <source>Overtime cases</source>
        <translation>超时笔数</translation>
    </message>
    <message>
        <source>Satisfaction rate (4–5)</source>
        <translation>满意率（4–5 分）</translation>
    </message>
    <message>
        <source>Participation (rated)</source>
        <translation>参评率（已评价）</translation>
    </message>
    <message>
        <source>Mean rating</source>
        <translation>平均评分</translation>
    </message>
    <message>
        <source>Handling time</source>
        <translation>办理时长</translation>
    </message>
    <message>
        <source>Daily service level and satisfaction</source>
        <translation>每日按时办结率与满意率</translation>
    </message>
    <message>
        <source>Overtime causes (Pareto)</source>
        <translation>超时原因（帕累托图）</translation>
    </message>
    <message>
        <source>Rating distribution</source>
        <translation>评价分布</translation>
    </message>
    <message>
        <source>Satisfaction by handling time</source>
        <translation>办理时长与满意率</translation>
    </message>
    <message>
        <source>%1 voided, %2 interrupted</source>
        <translation>作废 %1 笔，中断 %2 笔</translation>
    </message>
    <message>
        <source>%1 of %2 timed</source>
        <translation>计时业务 %2 笔中 %1 笔</translation>
    </message>
    <message>
        <source>%1 of %2 ratings</source>
        <translation>%2 条评价中 %1 条</translation>
    </message>
    <message>
        <source>upheld appeals: %1</source>
        <translation>申诉成立：%1</translation>
    </message>
    <message>
        <source>Weekly service level and satisfaction</source>
        <translation>每周按时办结率与满意率</translation>
    </message>
    <message>
        <source>Overtime causes: the manager&apos;s cause where reviewed, else the staff&apos;s reason. Satisfaction by handling time counts rated, timed transactions.</source>
        <translation>超时原因：已复核的按经理认定的原因统计，否则按员工填写的原因。“办理时长与满意率”只统计已评价的计时业务。</translation>
    </message>
    <message>
        <source>Ratings taken out by upheld appeals (not in the figures): %1.</source>
        <translation>申诉成立而不计入统计的评价：%1。</translation>
    </message>
    <message>
        <source>Not stated</source>
        <translation>未说明</translation>
    </message>
</context>
<context>
    <name>ManagerCharts</name>
    <message>
        <source>Transactions</source>
        <extracomment>lupdate collects `translate(&quot;Context&quot;, &quot;text&quot;)` calls into the catalogues The chart each view shows, while its series and axes can be updated in place: a filter change then replaces points and ranges instead of building (and laying out) a new chart. dash patterns for several types&apos; target lines on one histogram</extracomment>
        <translation>业务笔数</translation>
    </message>
    <message>
        <source>handling time, minutes (last bar: longer)</source>
        <translation>办理时长（分钟，最后一栏为更长）</translation>
    </message>
    <message>
        <source>transactions</source>
        <translation>业务笔数</translation>
    </message>
    <message>
        <source>Service level</source>
        <extracomment>fewer transactions than this in a day (or week) of the trend: its point is marked thin</extracomment>
        <translation>按时办结率</translation>
    </message>
    <message>
        <source>Satisfaction rate</source>
        <translation>满意率</translation>
    </message>
    <message>
        <source>fewer than %1 transactions</source>
        <translation>不足 %1 笔（样本少）</translation>
    </message>
    <message>
        <source>% of transactions</source>
        <translation>占业务笔数 %</translation>
    </message>
    <message>
        <source>week</source>
        <translation>周</translation>
    </message>
    <message>
        <source>day</source>
        <translation>日</translation>
    </message>
    <message>
        <source>Cases</source>
        <translation>笔数</translation>
    </message>
    <message>
        <source>Cumulative %</source>
        <translation>累计占比 %</translation>
    </message>
    <message>
        <source>overtime cases</source>
        <translation>超时笔数</translation>
    </message>
    <message>
        <source>cumulative share</source>
        <translation>累计占比</translation>
    </message>
    <message>
        <source>rating (button pressed)</source>
        <translation>评价（按键）</translation>
    </message>
    <message>
        <source>ratings</source>
        <translation>评价次数</translation>
    </message>
    <message>
        <source>Within target</source>
        <translation>时限内</translation>
    </message>
    <message>
        <source>Over target</source>
        <translation>超时限</translation>
    </message>
    <message>
        <source>handling time, % of target</source>
        <translation>办理时长占承诺时限的百分比</translation>
    </message>
    <message>
        <source>satisfaction rate (4–5)</source>
        <translation>满意率（4–5 分）</translation>
    </message>
    <message>
        <source>Overtime rate</source>
        <translation>超时率</translation>
    </message>
</context>
<context>
    <name>ManagerView</name>
    <message>
        <source>Duty manager · %1 · counter %2</source>
        <translation>值班经理 · %1 · %2 号柜台</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>最近 30 天</translation>
    </message>
    <message>
        <source>This month</source>
        <translation>本月</translation>
    </message>
    <message>
        <source>Last month</source>
        <translation>上月</translation>
    </message>
    <message>
        <source>Last 12 months</source>
        <translation>最近 12 个月</translation>
    </message>
    <message>
        <source>Custom</source>
        <translation>自定义</translation>
    </message>
    <message>
        <source>All types</source>
        <translation>全部业务类型</translation>
    </message>
    <message>
        <source>Period</source>
        <translation>时间段</translation>
    </message>
    <message>
        <source>Staff</source>
        <translation>员工</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>业务类型</translation>
    </message>
    <message>
        <source>Review queue</source>
        <translation>待复核</translation>
    </message>
    <message>
        <source>Duty manager · %1 · every counter of the hall</source>
        <extracomment>how often a visible hall view looks for records the mirror pulled meanwhile emitted after any manager event was recorded (review, follow-up, star)</extracomment>
        <translation>值班经理 · %1 · 全厅所有柜台</translation>
    </message>
    <message>
        <source>DEMO DATA</source>
        <translation>演示数据</translation>
    </message>
    <message>
        <source>RECORDS CHANGED: the event chain of this counter is broken. Stored events were changed outside the app; head office has been sent everything and records the incident. Tell head office.</source>
        <translation>记录被改动：本柜台的事件链已断裂。已存储的事件在程序之外被修改；所有记录已上传总部，总部会登记此事件。请通知总部。</translation>
    </message>
    <message>
        <source>Found %1: events %2–%3 do not verify (the last good one is %4); recorded as event %5.</source>
        <translation>%1 发现：事件 %2–%3 校验不通过（最后一个完好的是 %4）；已记录为事件 %5。</translation>
    </message>
    <message>
        <source>Hall board</source>
        <translation>大厅看板</translation>
    </message>
    <message>
        <source>Alerts</source>
        <translation>提醒</translation>
    </message>
    <message>
        <source>KPIs and charts</source>
        <translation>指标与图表</translation>
    </message>
    <message>
        <source>Monthly summary and star</source>
        <translation>月度汇总与服务之星</translation>
    </message>
    <message>
        <source>Head office</source>
        <translation>总部</translation>
    </message>
    <message>
        <source>Export overtime log…</source>
        <translation>导出超时记录…</translation>
    </message>
    <message>
        <source>Export monthly summary…</source>
        <translation>导出月度汇总…</translation>
    </message>
    <message>
        <source>All staff</source>
        <translation>全部员工</translation>
    </message>
    <message numerus="yes">
        <source>To review: %1 overtime · %n poor ratings</source>
        <translation>
            <numerusform>待复核：超时 %1 笔 · 差评 %n 条</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n follow-ups overdue</source>
        <translation>
            <numerusform>%n 条回访已逾期</numerusform>
        </translation>
    </message>
    <message>
        <source>All cases reviewed</source>
        <translation>全部已复核</translation>
    </message>
    <message>
        <source>%1 overtime cases exported to %2</source>
        <translation>已导出 %1 笔超时记录到 %2</translation>
    </message>
    <message>
        <source>Summary of %1 exported to %2</source>
        <translation>%1 的汇总已导出到 %2</translation>
    </message>
    <message>
        <source>Export overtime log</source>
        <translation>导出超时记录</translation>
    </message>
    <message>
        <source>Excel workbook (*.xlsx);;CSV (*.csv)</source>
        <translation>Excel 工作簿 (*.xlsx);;CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>Export monthly summary</source>
        <translation>导出月度汇总</translation>
    </message>
    <message>
        <source>PDF (*.pdf);;Excel workbook (*.xlsx);;CSV (*.csv)</source>
        <translation>PDF 文件 (*.pdf);;Excel 工作簿 (*.xlsx);;CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>Export failed: %1</source>
        <translation>导出失败：%1</translation>
    </message>
</context>
<context>
    <name>Messages</name>
    <message>
        <source>Finish or void the running transaction before signing out</source>
        <extracomment>Messages shown as they are (CounterError, SignInError).</extracomment>
        <translation>请先完成或作废正在办理的业务，再签退</translation>
    </message>
    <message>
        <source>A transaction is already running</source>
        <translation>已有一笔业务正在办理</translation>
    </message>
    <message>
        <source>Choose the overtime reason for the last transaction first</source>
        <translation>请先选择上一笔业务的超时原因</translation>
    </message>
    <message>
        <source>No overtime transaction is waiting for a reason</source>
        <translation>没有等待填写原因的超时业务</translation>
    </message>
    <message>
        <source>Sign in first</source>
        <translation>请先签到</translation>
    </message>
    <message>
        <source>No transaction is running</source>
        <translation>当前没有正在办理的业务</translation>
    </message>
    <message>
        <source>Waiting for the customer</source>
        <translation>等待客户</translation>
    </message>
    <message>
        <source>Unknown staff number or wrong PIN</source>
        <translation>工号不存在或密码错误</translation>
    </message>
    <message>
        <source>This account is disabled</source>
        <translation>此账号已停用</translation>
    </message>
    <message>
        <source>Back soon is on: press I&apos;m back first</source>
        <translation>暂离中：请先按“我回来了”</translation>
    </message>
    <message>
        <source>Back soon is already on</source>
        <translation>已在暂离中</translation>
    </message>
    <message>
        <source>Back soon is not on</source>
        <translation>当前未暂离</translation>
    </message>
    <message>
        <source>Finish or void the running transaction first</source>
        <translation>请先完成或作废正在办理的业务</translation>
    </message>
    <message>
        <source>the types change only while no transaction is under way</source>
        <translation>业务类型只能在没有业务办理时更改</translation>
    </message>
    <message>
        <source>%1 is still signed in</source>
        <extracomment>Messages with values in them: the regular expression&apos;s groups become %1, %2, …</extracomment>
        <translation>%1 尚未签退</translation>
    </message>
    <message>
        <source>Void is possible only in the first %1 s; press Done instead</source>
        <translation>只能在开始后 %1 秒内作废，请按“完成”</translation>
    </message>
    <message>
        <source>Not a return time: %1</source>
        <translation>不是有效的回来时间：%1</translation>
    </message>
    <message>
        <source>Unknown overtime reason %1</source>
        <translation>未知的超时原因 %1</translation>
    </message>
    <message>
        <source>Unknown transaction type %1</source>
        <translation>未知的业务类型 %1</translation>
    </message>
    <message>
        <source>Too many wrong PINs: locked for about %1 min</source>
        <translation>密码错误次数过多：账号已锁定，约 %1 分钟后再试</translation>
    </message>
    <message>
        <source>Too many wrong PINs: locked for %1 min</source>
        <translation>密码错误次数过多：账号已锁定 %1 分钟</translation>
    </message>
    <message>
        <source>Too many wrong sign-ins: wait %1 s</source>
        <translation>登录失败次数过多：请等待 %1 秒</translation>
    </message>
    <message>
        <source>another Counter App is using %1; close it first</source>
        <translation>另一个 Counter App 正在使用 %1，请先关闭它</translation>
    </message>
    <message>
        <source>NOT SAVED: the database refused the record (%1). Nothing already recorded is lost; free disk space or call support, then try again.</source>
        <translation>未保存：数据库拒绝写入此记录（%1）。已保存的记录没有丢失；请清理磁盘空间或联系技术支持后重试。</translation>
    </message>
</context>
<context>
    <name>MyFiguresDialog</name>
    <message>
        <source>My figures</source>
        <translation>我的数据</translation>
    </message>
    <message>
        <source>Your own figures at this counter; nobody else&apos;s. Service level: transactions within their target ÷ timed ones. Satisfaction: ratings of 4–5 ÷ ratings counted (an upheld appeal is not counted).</source>
        <translation>您本人在本柜台的数据，不含他人。服务达标率：未超过目标时长的业务 ÷ 计时业务。满意率：4–5 分的评价 ÷ 计入的评价（申诉成立的评价不计入）。</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Rated %1 (%2)</source>
        <translation>%1 分（%2）</translation>
    </message>
    <message>
        <source>Served</source>
        <translation>办结笔数</translation>
    </message>
    <message>
        <source>Service level</source>
        <translation>服务达标率</translation>
    </message>
    <message>
        <source>Satisfaction</source>
        <translation>满意率</translation>
    </message>
    <message>
        <source>Ratings</source>
        <translation>评价数</translation>
    </message>
    <message>
        <source>Mean rating</source>
        <translation>平均评分</translation>
    </message>
    <message>
        <source>Appeals upheld</source>
        <translation>申诉成立</translation>
    </message>
    <message>
        <source>Sign in first: only your own figures are shown</source>
        <translation>请先登录：只显示您本人的数据</translation>
    </message>
</context>
<context>
    <name>MyRatingsDialog</name>
    <message>
        <source>My ratings</source>
        <translation>我的评价</translation>
    </message>
    <message>
        <source>Your poor ratings of earlier days (never today&apos;s), by date only. If one was not deserved, appeal it: a manager other than you decides. An upheld appeal takes the rating out of satisfaction and the star; it is never deleted.</source>
        <translation>您以前各天（不含今天）的差评，只显示日期。如认为某条差评不应得，可以申诉：由您以外的主管决定。申诉成立的评价不计入满意度和服务之星，但永不删除。</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>业务类型</translation>
    </message>
    <message>
        <source>Rating</source>
        <translation>评价</translation>
    </message>
    <message>
        <source>Appeal</source>
        <translation>申诉</translation>
    </message>
    <message>
        <source>Choose a reason…</source>
        <translation>请选择理由…</translation>
    </message>
    <message>
        <source>Note (required for “other”)</source>
        <translation>备注（选“其他”时必填）</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>理由</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>No poor ratings of earlier days.</source>
        <translation>以前各天没有差评。</translation>
    </message>
    <message>
        <source>Not appealed</source>
        <translation>未申诉</translation>
    </message>
    <message>
        <source>Appealed, waiting for a manager</source>
        <translation>已申诉，等待主管决定</translation>
    </message>
    <message>
        <source>Upheld: not counted</source>
        <translation>申诉成立：不计入</translation>
    </message>
    <message>
        <source>Rejected</source>
        <translation>申诉驳回</translation>
    </message>
    <message>
        <source>Choose a rating you have not appealed yet.</source>
        <translation>请选择一条尚未申诉的评价。</translation>
    </message>
    <message>
        <source>Choose a reason first.</source>
        <translation>请先选择理由。</translation>
    </message>
    <message>
        <source>Appeal recorded: a manager other than you decides it.</source>
        <translation>申诉已记录：由您以外的主管决定。</translation>
    </message>
    <message>
        <source>Say why in the note when choosing “other”</source>
        <translation>选择“其他”时请在备注中说明原因</translation>
    </message>
    <message>
        <source>Sign in first: only your own ratings can be appealed</source>
        <translation>请先登录：只能申诉自己的评价</translation>
    </message>
    <message>
        <source>Finish the current customer first</source>
        <translation>请先办完当前客户</translation>
    </message>
    <message>
        <source>Only your own poor ratings of earlier days can be appealed, once each</source>
        <translation>只能申诉自己以前各天的差评，每条一次</translation>
    </message>
</context>
<context>
    <name>PinChangeDialog</name>
    <message>
        <source>Change your PIN</source>
        <translation>修改 PIN</translation>
    </message>
    <message>
        <source>A manager&apos;s PIN must have at least %1 digits. Choose a new PIN for %2 before signing in.</source>
        <translation>经理的 PIN 至少需要 %1 位数字。请先为 %2 设置新的 PIN,然后再登录。</translation>
    </message>
    <message>
        <source>New PIN</source>
        <translation>新 PIN</translation>
    </message>
    <message>
        <source>New PIN again</source>
        <translation>再次输入新 PIN</translation>
    </message>
    <message>
        <source>The two PINs differ</source>
        <translation>两次输入的 PIN 不一致</translation>
    </message>
    <message>
        <source>The new PIN must be %1 to 12 digits</source>
        <translation>新 PIN 必须为 %1 到 12 位数字</translation>
    </message>
    <message>
        <source>The new PIN must differ from the old one</source>
        <translation>新 PIN 不能与旧 PIN 相同</translation>
    </message>
    <message>
        <source>Not signed in: your PIN must be changed first</source>
        <translation>未登录:需要先修改 PIN</translation>
    </message>
</context>
<context>
    <name>ReviewQueue</name>
    <message>
        <source>When</source>
        <extracomment>lupdate collects `translate(&quot;Context&quot;, &quot;text&quot;)` calls into the catalogues follow-ups: the 好差评 deadline, the business order number, a shift&apos;s handover the columns sorted on a case&apos;s facts (QueueRow), without loading every case&apos;s details the cases whose details are loaded at once, from the first shown one that needs them the clerk appealed the rating (申诉); open until a manager other than them decides a poor rating with no follow-up past its deadline &quot;appeals&quot;: the appealed ratings (申诉), whatever their day (ReviewTab loads them)</extracomment>
        <translation>时间</translation>
    </message>
    <message>
        <source>Counter</source>
        <translation>柜台</translation>
    </message>
    <message>
        <source>Staff</source>
        <translation>员工</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>业务类型</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>承诺时限</translation>
    </message>
    <message>
        <source>Actual</source>
        <translation>实际用时</translation>
    </message>
    <message>
        <source>Overtime</source>
        <translation>超时</translation>
    </message>
    <message>
        <source>Staff&apos;s reason</source>
        <translation>员工所填原因</translation>
    </message>
    <message>
        <source>Rating</source>
        <translation>评价</translation>
    </message>
    <message>
        <source>Issue</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Manager&apos;s cause</source>
        <translation>经理认定原因</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Two managers decided this case minutes apart (%1); the later decision counts. Check it.</source>
        <translation>两位经理在几分钟内分别处理了此案例（%1）；以较晚的处理为准。请核对。</translation>
    </message>
    <message>
        <source>Follow-up due</source>
        <translation>回访期限</translation>
    </message>
    <message>
        <source>Order no.</source>
        <translation>业务单号</translation>
    </message>
    <message>
        <source>Handed over</source>
        <translation>交接</translation>
    </message>
    <message>
        <source>type changed after target</source>
        <translation>超时后更改类型</translation>
    </message>
    <message>
        <source>Poor rating</source>
        <translation>差评</translation>
    </message>
    <message>
        <source>decided twice</source>
        <translation>重复处理</translation>
    </message>
    <message>
        <source>Appeal</source>
        <translation>申诉</translation>
    </message>
    <message>
        <source>Appeal to decide</source>
        <translation>申诉待决定</translation>
    </message>
    <message>
        <source>Followed up, open</source>
        <translation>已回访，未解决</translation>
    </message>
    <message>
        <source>Reviewed</source>
        <translation>已复核</translation>
    </message>
    <message>
        <source>To review</source>
        <translation>待复核</translation>
    </message>
    <message>
        <source>%1 overdue</source>
        <translation>%1 已逾期</translation>
    </message>
    <message>
        <source>handed over by %1</source>
        <translation>由 %1 交接</translation>
    </message>
</context>
<context>
    <name>ReviewTab</name>
    <message>
        <source>Overtime and poor ratings</source>
        <extracomment>where the status column is shown: after when, counter and staff a review was recorded (the view updates its &quot;to review&quot; counts)</extracomment>
        <translation>超时与差评</translation>
    </message>
    <message>
        <source>Overtime only</source>
        <translation>仅超时</translation>
    </message>
    <message>
        <source>Poor ratings only</source>
        <translation>仅差评</translation>
    </message>
    <message>
        <source>Unreviewed only</source>
        <translation>仅未复核</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <source>What happened (required for “other”)</source>
        <translation>情况说明（选择“其他”时必填）</translation>
    </message>
    <message>
        <source>Appeals</source>
        <translation>申诉</translation>
    </message>
    <message>
        <source>Overdue follow-ups only</source>
        <translation>仅显示逾期回访</translation>
    </message>
    <message>
        <source>Choose a cause…</source>
        <translation>请选择原因…</translation>
    </message>
    <message>
        <source>Accept the type change: count against the new type&apos;s target</source>
        <translation>接受类型更改：按新类型的时限计算</translation>
    </message>
    <message>
        <source>Record cause</source>
        <translation>记录原因</translation>
    </message>
    <message>
        <source>Overtime review</source>
        <translation>超时复核</translation>
    </message>
    <message>
        <source>Cause</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Customer called back</source>
        <translation>已回访客户</translation>
    </message>
    <message>
        <source>Resolved</source>
        <translation>已解决</translation>
    </message>
    <message>
        <source>Record follow-up</source>
        <translation>记录回访</translation>
    </message>
    <message>
        <source>Poor-rating follow-up</source>
        <translation>差评回访</translation>
    </message>
    <message>
        <source>Choose a decision…</source>
        <translation>请选择决定…</translation>
    </message>
    <message>
        <source>Uphold: take the rating out of the figures</source>
        <translation>成立：该评价不计入统计</translation>
    </message>
    <message>
        <source>Reject: the rating counts</source>
        <translation>驳回：该评价照常计入</translation>
    </message>
    <message>
        <source>Why (required to reject)</source>
        <translation>理由（驳回时必填）</translation>
    </message>
    <message>
        <source>Record decision</source>
        <translation>记录决定</translation>
    </message>
    <message>
        <source>Appeal</source>
        <translation>申诉</translation>
    </message>
    <message>
        <source>Decision</source>
        <translation>决定</translation>
    </message>
    <message numerus="yes">
        <source>%n cases shown, %1 to review</source>
        <translation>
            <numerusform>显示 %n 笔，待复核 %1 笔</numerusform>
        </translation>
    </message>
    <message>
        <source>Select a case in the table to review it.</source>
        <translation>在表格中选择一笔记录进行复核。</translation>
    </message>
    <message>
        <source>Counter</source>
        <translation>柜台</translation>
    </message>
    <message>
        <source>Staff</source>
        <translation>员工</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>业务类型</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>用时</translation>
    </message>
    <message>
        <source>Overtime</source>
        <translation>超时</translation>
    </message>
    <message>
        <source>Type changed after target</source>
        <translation>超时后更改了业务类型</translation>
    </message>
    <message>
        <source>Staff&apos;s reason</source>
        <translation>员工所填原因</translation>
    </message>
    <message>
        <source>none given</source>
        <translation>未填写</translation>
    </message>
    <message>
        <source>Rating</source>
        <translation>评价</translation>
    </message>
    <message>
        <source>This is your own case: another manager decides it.</source>
        <translation>这是您本人的案例：须由其他值班经理处理。</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>理由</translation>
    </message>
    <message>
        <source>Clerk&apos;s note</source>
        <translation>员工备注</translation>
    </message>
    <message>
        <source>Upheld</source>
        <translation>申诉成立</translation>
    </message>
    <message>
        <source>Rejected</source>
        <translation>申诉驳回</translation>
    </message>
    <message>
        <source>Choose a cause first.</source>
        <translation>请先选择原因。</translation>
    </message>
    <message>
        <source>Cause recorded</source>
        <translation>原因已记录</translation>
    </message>
    <message>
        <source>Follow-up recorded</source>
        <translation>回访已记录</translation>
    </message>
    <message>
        <source>You appealed this rating yourself: another manager decides it.</source>
        <translation>这是您本人的申诉：由其他主管决定。</translation>
    </message>
    <message>
        <source>Choose a decision first.</source>
        <translation>请先选择决定。</translation>
    </message>
    <message>
        <source>Say why the appeal is rejected in the note.</source>
        <translation>请在备注中说明驳回理由。</translation>
    </message>
    <message>
        <source>Decision recorded</source>
        <translation>决定已记录</translation>
    </message>
    <message>
        <source>Not recorded: %1</source>
        <translation>未记录：%1</translation>
    </message>
    <message>
        <source>e.g. the business system was down</source>
        <translation>例如：业务系统故障</translation>
    </message>
    <message>
        <source>Give one cause to all overtime cases in this window</source>
        <translation>为此时段内的全部超时业务统一填写原因</translation>
    </message>
    <message>
        <source>One cause for a time window</source>
        <translation>时段统一原因</translation>
    </message>
    <message>
        <source>Note for the next shift</source>
        <translation>给下一班的备注</translation>
    </message>
    <message>
        <source>Hand over open cases</source>
        <translation>交接未处理案件</translation>
    </message>
    <message>
        <source>Shift handover</source>
        <translation>交接班</translation>
    </message>
    <message>
        <source>To</source>
        <translation>交给</translation>
    </message>
    <message>
        <source>Confirm</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>The window ends before it starts: choose a later end time.</source>
        <translation>结束时间早于开始时间：请选择更晚的结束时间。</translation>
    </message>
    <message>
        <source>There is no overtime case in this window to give the cause to.</source>
        <translation>此时段内没有可填写原因的超时业务。</translation>
    </message>
    <message>
        <source>The only overtime cases in this window are your own: another manager decides them.</source>
        <translation>此时段内的超时业务都是您本人的：由其他值班经理处理。</translation>
    </message>
    <message>
        <source>Give “%1” to all %2 overtime cases in this window?</source>
        <translation>为此时段内全部 %2 笔超时业务填写原因“%1”？</translation>
    </message>
    <message>
        <source>%1 of your own cases are skipped.</source>
        <translation>您本人的 %1 笔业务将跳过。</translation>
    </message>
    <message numerus="yes">
        <source>Cause recorded for %n cases</source>
        <translation>
            <numerusform>已为 %n 笔业务记录原因</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n cases handed over to %1</source>
        <translation>
            <numerusform>已将 %n 笔案件交接给 %1</numerusform>
        </translation>
    </message>
    <message>
        <source>There is no other manager to hand the cases over to.</source>
        <translation>没有其他值班经理可以交接。</translation>
    </message>
    <message>
        <source>There is no open case to hand over.</source>
        <translation>没有需要交接的未处理案件。</translation>
    </message>
    <message>
        <source>At most %1 cases can be handed over at once: narrow the period.</source>
        <translation>一次最多交接 %1 笔：请缩小时间范围。</translation>
    </message>
    <message>
        <source>Hand %1 open cases over to %2?</source>
        <translation>将 %1 笔未处理案件交接给 %2？</translation>
    </message>
    <message>
        <source>skipped (your own): %1</source>
        <translation>已跳过（您本人的）：%1</translation>
    </message>
</context>
<context>
    <name>SignInPage</name>
    <message>
        <source>Staff number</source>
        <translation>工号</translation>
    </message>
    <message>
        <source>PIN</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>签到</translation>
    </message>
    <message>
        <source>Counter %1 · %2</source>
        <translation>%1 号柜台 · %2</translation>
    </message>
</context>
<context>
    <name>StaffWindow</name>
    <message>
        <source>The app did not close normally last time: %1 running transaction(s) were recorded as interrupted, with the time known so far.</source>
        <extracomment>After show(): the windows&apos; first paint comes first, then the sync, stream and pulls start. On the way out, a sync to head office runs at most this long (counter PCs are switched off at night, so the nightly window may never come); a dead network does not hold the exit. How often Python gets the chance to run a signal handler (SIGTERM) while Qt waits.</extracomment>
        <translation>上次程序未正常关闭：%1 笔正在办理的业务已记为“中断”，并保留已知的办理时长。</translation>
    </message>
    <message>
        <source>The rating keypad is configured but cannot be used: %1. Customers can still rate on the screen where allowed.</source>
        <translation>已配置评价器，但无法使用：%1。客户仍可在允许的方式下在客户屏上评价。</translation>
    </message>
    <message>
        <source>THE COUNTER DATABASE WAS DAMAGED (%1). It was moved to %2 and will not be uploaded; a new database was started. Tell your duty manager and support.</source>
        <extracomment>where to move the staff window&apos;s frame first, when that makes room beside it</extracomment>
        <translation>窗口数据库已损坏（%1）！已移至 %2，不会上传；已新建数据库。请立即告知值班经理和技术支持。</translation>
    </message>
    <message>
        <source>THE COUNTER&apos;S RECORDS WERE CHANGED outside the app: events %1–%2 no longer verify (the last good one is %3). This was recorded and will be reported to head office. Tell your duty manager.</source>
        <translation>本柜台的记录在程序之外被改动：事件 %1–%2 校验不通过（最后一个完好的是 %3）。此事已记录并将报告总部。请告知值班经理。</translation>
    </message>
    <message>
        <source>Counter App — Counter %1 · %2</source>
        <translation>柜台服务系统 — %1 号柜台 · %2</translation>
    </message>
    <message>
        <source>DEMO DATA: these records were written by demo-data</source>
        <translation>演示数据：这些记录由 demo-data 生成</translation>
    </message>
    <message>
        <source>Close counter</source>
        <translation>关闭柜台</translation>
    </message>
    <message>
        <source>A transaction is running. Close the counter anyway? It will be recorded as interrupted, with its time so far.</source>
        <translation>业务正在办理中。仍要关闭柜台吗？该笔业务将按已用时间记为“中断”。</translation>
    </message>
    <message>
        <source>Keep serving</source>
        <translation>继续办理</translation>
    </message>
    <message>
        <source>Counter</source>
        <translation>柜台</translation>
    </message>
    <message>
        <source>Manager</source>
        <translation>值班经理</translation>
    </message>
</context>
<context>
    <name>SummaryPdf</name>
    <message>
        <source>Monthly service summary</source>
        <extracomment>lupdate collects `translate(&quot;Context&quot;, &quot;text&quot;)` calls into the catalogues</extracomment>
        <translation>月度服务汇总</translation>
    </message>
    <message>
        <source>Counter</source>
        <translation>柜台</translation>
    </message>
    <message>
        <source>Suggested service star</source>
        <translation>建议服务之星</translation>
    </message>
    <message>
        <source>score</source>
        <translation>得分</translation>
    </message>
    <message>
        <source>No suggested star: nobody has enough ratings this month</source>
        <translation>暂无建议的服务之星：本月没有员工的评价数达到要求</translation>
    </message>
    <message>
        <source>Confirmed star</source>
        <translation>已确认的服务之星</translation>
    </message>
    <message>
        <source>by</source>
        <translation>确认人</translation>
    </message>
    <message>
        <source>Not yet confirmed by the duty manager</source>
        <translation>值班经理尚未确认</translation>
    </message>
    <message>
        <source>Tie broken by</source>
        <translation>同分判定依据</translation>
    </message>
    <message>
        <source>Rule</source>
        <translation>评选规则</translation>
    </message>
    <message>
        <source>Served</source>
        <translation>办理笔数</translation>
    </message>
    <message>
        <source>Service level</source>
        <translation>按时办结率</translation>
    </message>
    <message>
        <source>Satisfaction rate</source>
        <translation>满意率</translation>
    </message>
    <message>
        <source>Participation rate</source>
        <translation>参评率</translation>
    </message>
    <message>
        <source>Median time</source>
        <translation>办理时长中位数</translation>
    </message>
    <message>
        <source>90th percentile</source>
        <translation>90% 分位时长</translation>
    </message>
    <message>
        <source>Staff</source>
        <translation>员工</translation>
    </message>
    <message>
        <source>Rated</source>
        <translation>评价数</translation>
    </message>
    <message>
        <source>Mean rating</source>
        <translation>平均评分</translation>
    </message>
    <message>
        <source>Overtime rate</source>
        <translation>超时率</translation>
    </message>
    <message>
        <source>Participation</source>
        <translation>参评率</translation>
    </message>
    <message>
        <source>Hours signed in</source>
        <translation>签到时长（小时）</translation>
    </message>
    <message>
        <source>Share serving</source>
        <translation>办理业务时间占比</translation>
    </message>
    <message>
        <source>Closes during service</source>
        <translation>办理中关闭次数</translation>
    </message>
    <message>
        <source>Star score</source>
        <translation>服务之星得分</translation>
    </message>
    <message>
        <source>Satisfaction rate and overtime rate per staff member</source>
        <translation>各员工满意率与超时率</translation>
    </message>
    <message>
        <source>Generated</source>
        <translation>生成时间</translation>
    </message>
</context>
<context>
    <name>SummaryTab</name>
    <message>
        <source>Month</source>
        <translation>月份</translation>
    </message>
    <message>
        <source>Staff</source>
        <translation>员工</translation>
    </message>
    <message>
        <source>Served</source>
        <translation>办理笔数</translation>
    </message>
    <message>
        <source>Rated</source>
        <translation>评价数</translation>
    </message>
    <message>
        <source>Mean rating</source>
        <translation>平均评分</translation>
    </message>
    <message>
        <source>Satisfaction rate</source>
        <translation>满意率</translation>
    </message>
    <message>
        <source>Overtime rate</source>
        <translation>超时率</translation>
    </message>
    <message>
        <source>Participation</source>
        <translation>参评率</translation>
    </message>
    <message>
        <source>Hours signed in</source>
        <translation>签到时长（小时）</translation>
    </message>
    <message>
        <source>Share serving</source>
        <translation>办理业务时间占比</translation>
    </message>
    <message>
        <source>Hours away</source>
        <translation>暂离时长（小时）</translation>
    </message>
    <message>
        <source>Star score</source>
        <translation>服务之星得分</translation>
    </message>
    <message>
        <source>Closes during service</source>
        <translation>办理中关闭次数</translation>
    </message>
    <message>
        <source>Upheld appeals</source>
        <translation>申诉成立</translation>
    </message>
    <message>
        <source>Confirm star</source>
        <translation>确认服务之星</translation>
    </message>
    <message>
        <source>Star of the month</source>
        <translation>本月服务之星</translation>
    </message>
    <message>
        <source>Satisfaction rate and overtime rate per staff member</source>
        <translation>各员工满意率与超时率</translation>
    </message>
    <message>
        <source>Rule: a staff member needs at least %1 ratings in the month. Score = (C × m + sum of own ratings) ÷ (C + number of own ratings), with C = %2 and m = the hall&apos;s mean rating that month: a Bayesian average, so a few ratings stay close to the mean. The highest score is suggested; scores equal to two decimals go to the lower overtime rate, then to more ratings.</source>
        <translation>规则：员工当月至少需有 %1 条评价。得分 =（C × m + 本人评分之和）÷（C + 本人评价数），其中 C = %2，m 为本厅当月平均评分。这是贝叶斯平均：评价较少时得分接近平均值。建议得分最高者；得分保留两位小数后相同的，超时率低者优先，再以评价数多者优先。</translation>
    </message>
    <message>
        <source>No data yet</source>
        <translation>暂无数据</translation>
    </message>
    <message>
        <source>Suggested star: %1 — score %2 (mean %3 from %4 ratings)</source>
        <translation>建议服务之星：%1 — 得分 %2（%4 条评价，平均 %3 分）</translation>
    </message>
    <message>
        <source>No suggestion: nobody has %1 ratings this month yet</source>
        <translation>暂无建议：本月还没有员工达到 %1 条评价</translation>
    </message>
    <message>
        <source>Tie on score, decided by: %1</source>
        <translation>得分相同，判定依据：%1</translation>
    </message>
    <message>
        <source>Confirmed: %1, by %2 on %3</source>
        <translation>已确认：%1（%2 于 %3 确认）</translation>
    </message>
    <message>
        <source>%1 at %2</source>
        <translation>%1（%2 号柜台）</translation>
    </message>
    <message>
        <source>Decided twice, minutes apart: %1 (counts) and %2: agree on one star</source>
        <translation>数分钟内两处确认：以 %1 为准，另有 %2；请商定同一位服务之星</translation>
    </message>
    <message>
        <source>Not confirmed yet</source>
        <translation>尚未确认</translation>
    </message>
</context>
<context>
    <name>SyncPanel</name>
    <message>
        <source>Sync now</source>
        <translation>立即同步</translation>
    </message>
    <message>
        <source>Head office sync</source>
        <translation>总部同步</translation>
    </message>
    <message>
        <source>Syncing…</source>
        <translation>正在同步…</translation>
    </message>
    <message>
        <source>No head office configured</source>
        <translation>未配置总部服务器</translation>
    </message>
    <message>
        <source>Set [head_office] url and token in the configuration.</source>
        <translation>请在配置文件的 [head_office] 中设置 url 和 token。</translation>
    </message>
    <message>
        <source>Not synced yet</source>
        <translation>尚未同步</translation>
    </message>
    <message>
        <source>Last sync: %1 — OK</source>
        <translation>最近同步：%1 — 成功</translation>
    </message>
    <message>
        <source>%1 events sent; head office holds all %2 events</source>
        <translation>已发送 %1 条事件；总部已有全部 %2 条事件</translation>
    </message>
    <message>
        <source>Last sync: %1 — FAILED</source>
        <translation>最近同步：%1 — 失败</translation>
    </message>
    <message numerus="yes">
        <source>(%n events waiting)</source>
        <translation>
            <numerusform>（%n 条事件待上传）</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Head office marked %n events invalid: see the log</source>
        <translation>
            <numerusform>总部将 %n 条记录标记为无效：详见日志</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Head office held %n reviews pending until their transaction arrives: see the log</source>
        <translation>
            <numerusform>总部暂存 %n 条复核，待其业务记录到达：详见日志</numerusform>
        </translation>
    </message>
    <message>
        <source>Error: %1</source>
        <translation>错误：%1</translation>
    </message>
    <message>
        <source>Last successful sync: %1</source>
        <translation>最近一次成功同步：%1</translation>
    </message>
    <message>
        <source>Next sync: %1</source>
        <translation>下次同步：%1</translation>
    </message>
</context>
</TS>
