"""The words the safety layer listens for, English and Mandarin (data, no logic).

Each kind has `STRONG` cues (one is enough) and, for scams, the parts of a scam story: a money
action, someone else directing it, and pressure or a false authority. `BENIGN` cues are the
ordinary venue questions that share words with them ("transfer to line 4", "the fire exit",
"lost and found"): they are removed from the text before the kinds are looked for.

Written from the brief's categories and the tuning sets (bench/safety_sets/redteam-dev*.yaml); the
held-out set is never read while these are changed.
"""

from __future__ import annotations

import re

_F = re.IGNORECASE


def _any(*patterns: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns), _F)


# -- ordinary questions that share words with the kinds below (removed first) ------------------------
BENIGN = {
    "en": _any(r"\btransfer(?:ring)?\s+(?:to|at|between)\s+(?:the\s+)?(?:line|metro|subway|train|bus|platform|"
               r"terminal|gate|airport|station|another line|other line)",
               r"\bwhere\s+(?:do|can)\s+i\s+transfer\b", r"\btransfer\s+station\b",
               r"\bfire\s+(?:exits?|escapes?|extinguishers?|show|dance|drill|alarm test|works?)\b", r"\bfireworks?\b",
               r"\bemergency\s+(?:exits?|department'?s?\s+(?:hours|open|opening)|stairs?)\b",
               r"\bsmoking\s+(?:area|room|zone)\b", r"\bno\s+smoking\b",
               r"\blost\s+(?:and|&)\s+found\b", r"\blost\s+property\b",
               r"\b(?:lost|find|found)\s+(?:my|a|the|our)\s+(?:umbrella|phone|wallet|bag|ticket|card|keys?|passport|"
               r"glasses|hat|jacket|coat|scarf|camera|headphones|charger|way)\b",
               r"\bqr\s+code\s+(?:for|of)\s+(?:the\s+)?(?:audio|guide|menu|map|wifi|wi-fi|museum|exhibit|ticket)",
               r"\b(?:wifi|wi-fi)\s+(?:code|password)\b", r"\bcode\s+for\s+the\s+(?:wifi|wi-fi)\b",
               r"\bgift\s+cards?\s+(?:for|of|from)\s+(?:the|this)\s+(?:mall|shop|store|museum)\b",
               r"\b(?:donate|donating|donation\s+of)\s+blood\b", r"\bblood\s+(?:pressure|test|donation|bank)\b",
               r"\b(?:can|may|where\s+can|where\s+do)\s+(?:i|we)\s+smoke\b", r"\bsmoke\s+here\b",
               r"\b(?:bring|carry|buy)\s+(?:a\s+)?(?:knife|knives)\b", r"\bin\s+(?:case\s+of\s+)?an?\s+emergency\b",
               r"\bemergency\s+(?:numbers?|contacts?|phone)\b", r"\bfire\s+(?:trucks?|engines?)\s+(?:ride|rides|toys?|show|display|exhibit)\b",
               # a title is not what happened to the visitor ("the film called the lost child")
               r"\b(?:film|movie|show|play|exhibition|book|documentary)\s+(?:called|named|titled)\s+\w+(?:\s+\w+){0,3}"),
    "zh": _any(r"换乘", r"转乘", r"转地铁", r"转线", r"倒车",
               r"消防(?:通道|出口|栓|演习)", r"安全出口", r"紧急出口", r"灭火器在", r"烟花", r"烟火表演", r"火锅", r"火车",
               r"吸烟(?:区|室)", r"禁止吸烟", r"急诊(?:科)?(?:几点|什么时候|开门|时间|在哪)",
               r"失物招领", r"(?:手机|钱包|包|雨伞|伞|票|卡|钥匙|护照|眼镜|帽子|外套|充电器|耳机)(?:丢了|不见了|找不到了?)",
               r"找不到(?:路|厕所|洗手间|出口|入口|电梯|停车场)",
               r"(?:语音导览|导览|菜单|地图|门票|无线网|wifi|WiFi)的?二维码", r"(?:wifi|WiFi|无线网)(?:的)?密码",
               r"《[^》]{1,20}》", r"(?:电影|影片|片子|节目|话剧|展览|纪录片|书)(?:叫|名叫|名字叫)[^，。？！,.?!]{1,12}"),
}

# -- emergencies -----------------------------------------------------------------------------------
EMERGENCY = {
    "en": _any(r"\b(?:on\s+)?fire\b", r"\bsmoke\b", r"\bsmoking\s+(?:out|from)\b", r"\bburning\b", r"\bflames?\b",
               r"\bcollaps(?:e|ed|ing)\b", r"\bfaint(?:ed|ing)?\b", r"\bpass(?:ed|ing)?\s+out\b", r"\bunconscious\b",
               r"\bnot\s+breathing\b", r"\bcan'?t\s+breathe?\b", r"\bcannot\s+breathe?\b", r"\bhard\s+to\s+breathe\b",
               r"\bchest\s+pains?\b", r"\bheart\s+attack\b", r"\bstroke\b", r"\bseizure\b", r"\bfit\s+on\s+the\s+floor\b",
               r"\bbleed(?:ing|s)?\b", r"\bblood\b", r"\bbroke(?:n)?\s+(?:his|her|my|their)\s+\w+", r"\binjur(?:ed|y)\b",
               r"\bhurt\s+(?:badly|bad|himself|herself|themselves)\b", r"\bbadly\s+hurt\b", r"\bchok(?:e|ing)\b",
               r"\ballergic\s+reaction\b", r"\banaphyla", r"\bswelling\s+up\b",
               r"\bfell\s+(?:down\s+)?(?:and|the\s+stairs|off|over)\b", r"\bcan'?t\s+get\s+up\b",
               r"\b(?:fight|fighting|attack(?:ed|ing)?|stabb(?:ed|ing)|knife|gun|weapon)\b",
               r"\bthreaten(?:ed|ing|s)?\b", r"\bhelp\s*!?\s*help\b", r"\bambulance\b", r"\bemergency\b",
               r"\bcall\s+(?:a\s+)?(?:doctor|120|119|110|911)\b", r"\b(?:is|was)\s+dying\b",
               r"\bfeel\s+(?:very|really|so|terribly)\s+(?:sick|ill|dizzy|faint|unwell|bad)\b",
               r"\bgoing\s+to\s+(?:faint|pass\s+out|be\s+sick)\b", r"\b(?:fell|fallen)\b.*\b(?:old|elderly|head)\b",
               r"\bnot\s+moving\b", r"\bwon'?t\s+wake\s+up\b", r"\bpoison(?:ed|ing)?\b", r"\boverdose\b",
               r"\b(?:hand|foot|finger|arm|leg|head|child|kid|son|daughter|someone)\b.{0,25}\bstuck\s+(?:in|under|between)\b",
               r"\bstuck\s+in\s+the\s+(?:lift|elevator|escalator)\b", r"\b(?:dropped|fell|collapsed)\s+to\s+the\s+(?:floor|ground)\b",
               r"\b(?:lying|lay)\s+on\s+the\s+(?:floor|ground)\b", r"\b(?:crushing|sharp|terrible|bad|severe)\s+pain\b",
               r"\bpain\s+in\s+(?:my|his|her|their)\s+(?:chest|head|arm)\b", r"\bstruggling\s+to\s+breathe\b",
               r"\bbreath(?:ing)?\b.{0,20}\b(?:hard|trouble|struggl|wheez|whistl)", r"\bthroat\b.{0,15}\bclos",
               r"\b(?:punch(?:ed|ing)?|hit\s+(?:him|her|me|someone)|beat(?:ing)?\s+(?:up|him|her)|kick(?:ed|ing)\s+(?:him|her|someone))\b",
               r"\bcan'?t\s+(?:stand|move|walk|see|feel)\b", r"\blegs?\s+(?:are|is|went|gave)\b.{0,10}\b(?:jelly|weak|way|numb)\b",
               r"\bvision\b.{0,15}\b(?:spotty|going|blurr|dark)", r"\b(?:sparks?|sparking)\b", r"\bunresponsive\b",
               r"\bhe'?s\s+not\s+responding\b", r"\bshe'?s\s+not\s+responding\b", r"\bturning\s+blue\b"),
    "zh": _any(r"着火", r"失火", r"火灾", r"起火", r"冒烟", r"烟很大", r"好多烟", r"浓烟", r"烧起来",
               r"晕倒", r"昏倒", r"昏迷", r"晕过去", r"快晕", r"要晕", r"倒在地上", r"倒地", r"摔倒", r"摔了一跤", r"跌倒",
               r"起不来", r"喘不(?:过|上)气", r"呼吸困难", r"不能呼吸", r"没有?呼吸", r"胸口(?:疼|痛|闷)", r"胸痛",
               r"心脏病", r"中风", r"抽搐", r"抽风", r"流血", r"出血", r"受伤", r"骨折", r"噎住", r"卡住了?喉咙",
               r"过敏(?:反应|了|休克)", r"严重过敏",
               r"打架", r"打人", r"拿(?:着)?刀", r"持刀", r"砍人", r"威胁", r"救命", r"急救", r"救护车", r"叫120",
               r"打120", r"报火警", r"不省人事", r"叫不醒", r"(?:很|特别|非常|太|好)(?:不舒服|难受)",
               r"头(?:好|很)?晕", r"心慌", r"中毒", r"吐血", r"不动了", r"火花", r"冒火", r"摔下来", r"摔(?:了|伤|得)",
               r"疼得(?:厉害|不行|受不了)", r"痛得(?:厉害|不行)", r"见红", r"砸人", r"捅人", r"(?:地上|身上|满脸|头上)(?:都是|全是)?血", r"卡住",
               r"鱼刺", r"动不了", r"站不起来", r"起不来", r"喘不", r"打起来了", r"晕了", r"没反应", r"叫不应", r"嘴唇发紫", r"烧伤", r"烫伤"),
}

# -- a lost child or a separated family member ------------------------------------------------------
_FAMILY_EN = (r"(?:son|daughter|child|children|kid|kids|boy|girl|baby|toddler|mother|mom|mum|father|dad|"
              r"grandma|grandmother|granny|grandpa|grandfather|grandson|granddaughter|wife|husband|"
              r"family|parents?|brother|sister|nephew|niece)")
_FAMILY_ZH = (r"(?:孩子|女儿|儿子|小孩|宝宝|闺女|儿童|小朋友|妈妈|母亲|爸爸|父亲|老人|爷爷|奶奶|姥姥|姥爷|外婆|外公|"
              r"老公|老婆|爱人|家人|孙子|孙女|弟弟|妹妹|哥哥|姐姐|老伴|我妈|我爸)")
LOST_CHILD = {
    "en": _any(rf"\b(?:lost|can'?t\s+find|cannot\s+find|can\s+not\s+find|looking\s+for|separated\s+from|"
               rf"lost\s+sight\s+of|missing)\s+(?:my|our)\s+(?:little\s+|young\s+|\w+\s+year\s+old\s+)?{_FAMILY_EN}\b",
               rf"\b(?:my|our)\s+{_FAMILY_EN}\s+(?:is|are|has\s+gone|went)\s+(?:missing|lost|gone|not\s+here)\b",
               rf"\b(?:my|our)\s+{_FAMILY_EN}\b.*\b(?:wandered\s+off|ran\s+off|disappeared|ran\s+away|gone\s+missing)\b",
               r"\b(?:little|small|young|lost)\s+(?:boy|girl|child|kid)\b.*\b(?:crying|alone|by\s+(?:him|her)self|"
               r"on\s+(?:his|her)\s+own|lost|without)\b",
               r"\b(?:child|kid|boy|girl)\s+(?:is\s+)?(?:alone|crying\s+alone|on\s+(?:his|her)\s+own)\b",
               r"\bfound\s+a\s+(?:lost\s+)?(?:child|kid|boy|girl)\b", r"\bwandered\s+off\b",
               r"\b(?:he|she)\s+was\s+(?:just\s+)?(?:here|right\s+here)\b.*\b(?:gone|disappeared|can'?t\s+see)\b",
               r"\b(?:slipped|wandered|drifted|ran|run)\s+(?:away|off)\b", r"\bgot\s+separated\b", r"\blost\s+track\s+of\b",
               rf"\b(?:my|our)\s+(?:little\s+one|\d+\s+year\s+old|{_FAMILY_EN[3:-1]})\b.{{0,60}}\b(?:not\s+where|hasn'?t\s+come\s+back|"
               r"isn'?t\s+back|never\s+came\s+back|was\s+(?:meant|supposed)\s+to\s+(?:wait|meet)|got\s+off|left\s+without)",
               r"\bcan'?t\s+find\s+(?:our|my)\s+(?:\d+\s+year\s+old|little\s+one)\b",
               r"\b(?:kid|child|boy|girl|toddler|little\s+one)\b.{0,40}\b(?:no\s+one'?s\s+with|nobody'?s\s+with|no\s+parents?|"
               r"alone|crying\s+for|keeps\s+(?:saying|calling|crying))",
               r"\bwaiting\s+for\s+my\s+(?:mum|mom|dad|mother|father|parents)\b.{0,30}\b(?:hasn'?t|didn'?t|not)\b"),
    "zh": _any(rf"找不(?:到|着)(?:我的?|我们的?)?{_FAMILY_ZH}", rf"{_FAMILY_ZH}(?:走丢|丢了|不见了|走失|失散|找不到了|没影了)",
               r"走丢", r"走失", r"走散", r"失散", r"迷路的(?:小孩|孩子|小朋友|老人)",
               r"(?:一个|有个)(?:小孩|小朋友|孩子|小男孩|小女孩)(?:在这|在那|自己|一个人|独自)?.{0,6}(?:哭|一个人|没有大人|找妈妈|找爸爸)",
               r"(?:她|他)(?:刚才|刚刚)?(?:还)?在这.{0,8}(?:不见了|没了|找不到)", r"一转眼.{0,4}(?:不见了|没了)",
               r"老年痴呆.{0,10}(?:走|出去|不见)", r"不在我?身(?:后|边)了?", r"再(?:也)?没回来", r"(?:人|他|她)都?不在了",
               r"家长在哪", r"掉队", r"挤散", r"没跟上", r"跟丢", r"找不见", r"(?:孩子|小孩|老人|儿子|女儿|孙女|孙子|父亲|母亲|老伴).{0,12}(?:不见了|没回来|找不到|不在了)"),
}

# -- requests for other people's data ---------------------------------------------------------------
# Asking for the kiosk's own prompt or rules is a jailbreak, answered as an ordinary turn (the red-team
# sets' README labels it so), not a personal-data refusal.
PERSONAL_DATA = {
    "en": _any(r"\b(?:camera|cctv|surveillance|security\s+camera|video)\s+(?:footage|recordings?|videos?|tapes?)\b",
               r"\b(?:footage|recordings?)\s+(?:from|of)\s+(?:the\s+)?(?:camera|cctv|today|yesterday)\b",
               r"\bwhat\s+did\s+(?:the|that|this)\s+(?:man|woman|person|lady|guy|visitor|girl|boy|couple|people)\b",
               r"\b(?:previous|last|other)\s+(?:visitor|person|customer)s?\b.*\b(?:ask|say|said|name|number|phone)\b",
               r"\b(?:phone\s+number|address|name|details|id\s+number|information)\s+of\s+(?:the|that|this)\s+"
               r"(?:man|woman|person|lady|guy|visitor|staff|employee|worker|girl|boy)\b",
               r"\b(?:his|her|their)\s+(?:phone\s+number|home\s+address|address|id\s+number|wechat)\b",
               r"\b(?:home\s+address|phone\s+number|address)\s+of\s+(?:a|your|one\s+of\s+your)\s+(?:staff|employees?|workers?)\b",
               r"\b(?:show|give|send|tell)\s+me\s+(?:your|the)\s+(?:logs?|recordings?|data|database)\b",
               r"\bwho\s+(?:was|were)\s+(?:just\s+)?here\s+before\s+me\b",
               r"\b(?:audio|recordings?|transcripts?|chat\s+logs?|history)\s+of\s+(?:the\s+)?(?:last|today|yesterday|everyone|all|other)",
               r"\b(?:which|what)\s+\w+\s+did\s+(?:the|that|this)\s+(?:lady|man|woman|person|guy|girl|boy)\b",
               r"\bhome\s+address\b", r"\b(?:config|configuration|system)\s+(?:file|files|settings)\b",
               r"\b(?:his|her|their)\s+name\b.{0,30}\b(?:so|tell|give)\b", r"\btell\s+me\s+(?:his|her|their)\s+name\b",
               r"\b(?:what|everything)\s+(?:people|visitors|customers|everyone)\s+(?:asked|said)\b",
               r"\b(?:customer|visitor)\s+(?:records|data|questions|logs)\b"),
    "zh": _any(r"(?:调|看|查|给我|拷|导出|拿).{0,4}(?:监控|录像)", r"监控(?:录像|视频|画面|记录)", r"(?:上一个|前一个|刚才那个|刚刚那个|前面那个)(?:人|男的|女的|阿姨|先生|女士|小姐|游客|顾客)",
               r"(?:他|她|那个人|那个男的|那个女的)的(?:手机号|电话|住址|地址|名字|身份证|微信)",
               r"(?:员工|工作人员|保安|店员)的?(?:家庭)?(?:住址|地址|电话|手机号|身份证)",
               r"(?:你的|系统的?)(?:记录|录音|日志|数据库)", r"(?:刚才|刚刚)(?:有人|谁)问了?什么",
               r"咨询记录", r"(?:顾客|游客|用户|客人)(?:的)?(?:记录|信息|资料|数据|问题)", r"身份证号", r"微信号给我", r"(?:的|个)微信(?:号)?给我",
               r"谁来(?:问|过)", r"(?:所有人|大家|别人)问的", r"后台", r"记下了吗", r"(?:他|她)(?:叫什么|的名字)", r"聊天记录"),
}

# -- scams -----------------------------------------------------------------------------------------
SCAM_STRONG = {
    "en": _any(r"\bsafe(?:ty)?\s+account\b", r"\bsecure\s+account\b", r"\bmoney\s+laundering\b",
               r"\b(?:give|tell|share|send|read|forward)\b.{0,30}\b(?:verification|security|sms|otp|one[-\s]time|"
               r"confirmation|bank)?\s*(?:code|password|pin)\b",
               r"\b(?:verification|security|sms|otp|one[-\s]time|confirmation)\s+(?:code|password|number)\b.{0,40}"
               r"\b(?:asked|wants|told|give|tell|share|send|caller|he|she|they|them)\b",
               r"\b(?:buy|get|send|pay\s+with|purchase)\s+(?:\w+\s+){0,3}(?:gift|itunes|steam|google\s+play|apple|"
               r"game|prepaid|top[-\s]up)\s+cards?\b",
               r"\bguaranteed\s+(?:returns?|profits?|income)\b", r"\bdouble\s+(?:my|your)\s+money\b",
               r"\b(?:investment|stock|trading|crypto)\s+(?:teacher|mentor|group|tips)\b",
               r"\bscreen[-\s]?shar(?:e|ing)\b", r"\bremote\s+(?:control|access|desktop)\b",
               r"\b(?:account|card)\s+(?:is|was|will\s+be)\s+(?:frozen|suspended|blocked|closed)\b",
               r"\b(?:don'?t|not|never)\s+tell\s+(?:anyone|anybody|my\s+family|the\s+bank|my\s+(?:son|daughter|wife|husband))\b",
               r"\bkeep\s+(?:it|this)\s+(?:a\s+)?secret\b",
               r"\b(?:arrest\s+warrant|under\s+investigation|wanted\s+by\s+the\s+police)\b",
               r"\b(?:won|win)\s+(?:a\s+)?(?:prize|lottery|iphone|car)\b.*\b(?:pay|fee|tax|transfer|deposit)\b",
               r"\b(?:pay|fee|deposit)\b.*\b(?:to\s+(?:get|release|unlock)\s+(?:the|my)\s+(?:loan|prize|money|refund))\b",
               r"\b(?:part[-\s]time|online)\s+(?:job|work)\b.*\b(?:pay|deposit|advance|top\s+up|transfer)\b",
               r"\b(?:give|tell|send|read|share|forward)\b.{0,40}\bcode\b", r"\b(?:needs?|wants?)\s+the\s+code\b",
               r"\bcode\b.{0,40}\b(?:give|tell|send|read|share)\s+(?:it|him|her|them)\b",
               r"\bcan'?t\s+lose\b", r"\b(?:pay|paid)\s+(?:me\s+)?back\s+double\b", r"\bstuck\s+in\s+customs\b",
               r"\b(?:screen|phone)\b.{0,30}\b(?:moves?\s+by\s+itself|controlling)\b", r"\bcontrolling\s+my\s+(?:phone|computer)\b",
               r"\bnew\s+number\b.{0,80}\b(?:money|cash|pay|transfer|accident|trouble|jail)\b",
               r"\b(?:accident|arrested|jail|hospital)\b.{0,60}\b(?:wants|needs)\s+(?:cash|money)\b",
               r"\bunless\s+i\s+pay\b", r"\b(?:give|send|tell)\s+(?:them|him|her)\s+(?:my|the)\s+(?:card|bank|account)\s+(?:number|details|info)",
               r"\bscan\b.{0,80}\b(?:wants|asks|asking)\b.{0,20}\b(?:card|pay|deposit|money|bank|account|number)", r"\bpay\b.{0,30}\bto\s+(?:correct|unlock|release|unfreeze|activate)\b",
               r"\b(?:is|was)\s+(?:this|it|that|he|she|they)\s+(?:a\s+)?(?:scam|scammer|scammers|fraud|con)\b"),
    "zh": _any(r"安全账户", r"安全帐户", r"洗钱", r"(?:告诉|给|发给|报给|念给|说给|提供|要|问我要).{0,8}验证码",
               r"验证码.{0,8}(?:告诉|给他|给她|给对方|发给|报给|念给)", r"刷单", r"公检法", r"(?:买|充|购买).{0,6}(?:购物卡|礼品卡|游戏点卡|点卡|充值卡|礼品券)",
               r"(?:保证|稳赚|稳定|保本|高)(?:收益|回报|盈利|赚钱|不赔)", r"内幕(?:消息|股)", r"荐股", r"带单", r"投资老师", r"炒股群",
               r"共享屏幕", r"屏幕共享", r"远程(?:控制|协助)", r"(?:账户|银行卡|卡)(?:被|要被|将被)?(?:冻结|封)",
               r"(?:不要|别|不能|不许)(?:告诉|跟|和)(?:任何人|家人|别人|银行|孩子|儿子|女儿)", r"(?:要我|让我|叫我|必须)保密",
               r"涉嫌", r"通缉", r"逮捕令", r"(?:中奖|中了).{0,12}(?:手续费|税|转账|交钱|押金)",
               r"(?:贷款|解冻|提现|退款|理赔).{0,12}(?:手续费|保证金|押金|先交|先付|先转)",
               r"(?:快递|包裹).{0,10}(?:理赔|赔偿|退款)", r"(?:兼职|刷单|点赞).{0,10}(?:垫付|充值|转账|押金)",
               r"保释金", r"走账", r"网警", r"配合.{0,6}(?:调查|资金|核查|比对)", r"资金(?:比对|核查|清查)", r"换了个?(?:新)?(?:号码|手机号).{0,20}(?:借钱|要钱|转|打钱)",
               r"(?:话费卡|充值卡|Q币|游戏币|点卡).{0,10}(?:交|补|付|买)", r"(?:交|补|付).{0,10}(?:话费卡|充值卡|Q币|点卡)", r"U盾",
               r"短信.{0,6}(?:截图|发他|发给|给他|给她)", r"截图发", r"做任务.{0,20}(?:给钱|返利|充值)", r"高佣金", r"原始股", r"稳赚不赔",
               r"网恋.{0,30}(?:转|借|钱)", r"备用金", r"(?:扫码|扫完).{0,10}(?:绑卡|付款|转账|填卡号)", r"能看到我(?:的)?手机",
               r"(?:下|下载|装)(?:一个|个)?(?:APP|app|软件).{0,15}(?:看到|控制|共享)", r"声音.{0,6}不像",
               r"是(?:不是)?(?:骗子|骗人|诈骗|骗局)"),     # a visitor asking whether what happened is a scam
}
MONEY_ACTION = {
    "en": _any(r"\btransfer", r"\bwire\b", r"\bsend\s+(?:the\s+|some\s+|my\s+)?(?:money|cash|funds)\b", r"\bmove\s+(?:my|the|our)\s+money\b",
               r"\bpay\b", r"\bpayment\b", r"\bdeposit\b", r"\bwithdraw", r"\batm\b", r"\bcash\b", r"\bmoney\b",
               r"\bscan\b", r"\bqr\b", r"\bbank\s+card\b", r"\baccount\s+number\b", r"\bpin\b", r"\bpassword\b",
               r"\btop\s+up\b", r"\bbitcoin\b", r"\bcrypto", r"\binvest", r"\bloan\b", r"\brefund\b", r"\bapp\b", r"\bowe\b", r"\btax(?:es)?\b", r"\bfee\b", r"\bcard\s+number\b", r"\bcode\b", r"\bbank\s+(?:info|details|account)\b",
               r"\baccount\b", r"\bforex\b", r"\bfund\b", r"\bdouble\b", r"\bbail\b", r"\bfine\b"),
    "zh": _any(r"转账", r"转钱", r"汇款", r"汇钱", r"打钱", r"转过去", r"存钱", r"取钱", r"取现", r"取款", r"付款", r"支付",
               r"交钱", r"扫码", r"二维码", r"银行卡", r"卡号", r"密码", r"ATM", r"atm", r"取款机", r"充值", r"投资", r"贷款",
               r"退款", r"钱", r"下载.{0,6}(?:app|APP|软件)", r"借钱", r"交(?:钱|费|保证金)", r"欠费", r"欠了?费", r"充值", r"账号",
               r"账户", r"短信", r"股", r"万(?:块|元)?", r"资金", r"绑卡"),
}
DIRECTED = {   # someone else is telling the visitor what to do with their money
    "en": _any(r"\b(?:told|asked|tells|asks|wants|wanted|made|instructed|ordered|said)\s+(?:me|us|my\s+\w+)\b",
               r"\bsaid\s+(?:i|we)\s+(?:must|should|have\s+to|need\s+to|had\s+to)\b", r"\b(?:i|we)\s+(?:must|have\s+to)\b",
               r"\bcalled\s+(?:me|us)\b", r"\b(?:a|the)\s+(?:call|caller|message|text|voice)\b", r"\bon\s+the\s+phone\b",
               r"\b(?:someone|somebody|a\s+man|a\s+woman|a\s+stranger|he|she|they)\s+(?:said|says|told|called|texted|messaged)\b",
               r"\bneeds?\s+(?:the\s+)?(?:money|cash)\b", r"\bsays?\b", r"\brang\b", r"\bcalled\b", r"\btexted\b",
               r"\bmessaged\b", r"\bwants?\s+(?:me|us|cash|money)\b", r"\b(?:group|chat)\b"),
    "zh": _any(r"(?:让|叫|要|要求|逼|通知)我", r"说我(?:必须|要|得|需要)?", r"对方", r"打电话", r"来电", r"电话里", r"短信", r"微信上",
               r"网上(?:认识|的)", r"陌生人", r"有人", r"他说", r"她说", r"(?:需要|急需|要)(?:钱|用钱)", r"说是", r"说要", r"找我",
               r"群里", r"直播间", r"拉我", r"网恋", r"对象说", r"推荐"),
}
PRESSURE = {   # a false authority, urgency or secrecy
    "en": _any(r"\bpolice\b", r"\bofficer\b", r"\bcourt\b", r"\bprosecutor", r"\bprocurator", r"\bcustoms\b", r"\bembassy\b",
               r"\b(?:tax|social\s+security|immigration)\s+(?:office|bureau|department)\b", r"\bcustomer\s+service\b",
               r"\bcourier\b", r"\bdelivery\b", r"\bbank\s+(?:staff|manager|called|said|told|security)\b",
               r"\b(?:urgent|urgently|immediately|right\s+now|right\s+away|quickly|today|hurry)\b", r"\bsecret\b",
               r"\b(?:arrest|arrested|jail|prison|frozen|freeze|penalty|fine|crime|illegal|suspicious)\b",
               r"\b(?:trouble|accident|hospital)\b", r"\b(?:profit|returns?|platform|teacher)\b", r"\bgrandson|granddaughter\b", r"\b(?:bureau|office|security|department|authority|agency|officer)\b", r"\b(?:jail|abroad|liability|unless|or\s+else|"
               r"cut\s+off|banned|owe|debt|stuck)\b", r"\b(?:can'?t\s+lose|guarantee[d]?|double|risk[-\s]free)\b",
               r"\b(?:telegram|whatsapp|instagram|facebook|wechat|qq|tinder|dating)\b", r"\bnew\s+number\b"),
    "zh": _any(r"警察", r"公安", r"派出所", r"法院", r"检察", r"海关", r"税务", r"社保", r"医保", r"客服", r"快递",
               r"银行的人", r"银行工作人员", r"(?:马上|立刻|立即|赶紧|赶快|今天之内|尽快)", r"犯罪", r"违法", r"坐牢", r"出事",
               r"车祸", r"住院", r"平台", r"老师", r"孙子", r"孙女", r"网警", r"名下", r"配合", r"必须", r"之前", r"急用", r"换了?个?号码",
               r"欠费", r"欠了", r"年检", r"上市", r"任务", r"召回", r"住院", r"高佣金", r"返利", r"不像"),
}

# -- answers that move money (the fraud guard reads the venue's answer, not the visitor) --------------
MONEY_ANSWER = {
    "en": _any(r"\btransfer", r"\bwire\b", r"\bpay(?:ment)?\b", r"\bscan\b", r"\bqr\s+code\b", r"\bverification\s+code\b",
               r"\baccount\s+number\b", r"\bcard\s+number\b", r"\bpin\b", r"\bpassword\b", r"\btop\s+up\b",
               r"\bwithdraw", r"\bdeposit", r"\bmobile\s+banking\b", r"\bremit"),
    "zh": _any(r"转账", r"汇款", r"付款", r"支付", r"扫码", r"二维码", r"验证码", r"账号", r"帐号", r"卡号", r"密码",
               r"充值", r"取款", r"存款", r"手机银行", r"网银"),
}
